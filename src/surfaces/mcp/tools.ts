import type { Tool } from '@modelcontextprotocol/server';
import type { Action } from '../../actions/action';
import { actionsFor } from '../../actions/registry';
import { jsonSchemaOf } from '../json-schema';

export interface McpTools {
  /** The `tools/list` result body, shared by every request of the isolate. */
  readonly list: readonly Tool[];
  readonly byName: ReadonlyMap<string, Action>;
}

let tools: McpTools | undefined;

function toolFor(action: Action): Tool {
  return {
    name: action.name,
    title: action.title,
    description: action.description,
    inputSchema: { ...jsonSchemaOf(action.input, 'input'), type: 'object' },
    outputSchema: { ...jsonSchemaOf(action.output, 'output'), type: 'object' },
    annotations: {
      title: action.title,
      readOnlyHint: action.annotations.readOnly,
      destructiveHint: action.annotations.destructive,
      idempotentHint: action.annotations.idempotent,
      // The tools only touch the caller's own workspace, never the outside world.
      openWorldHint: false,
    },
  };
}

/** The MCP tools generated from the registry, built on first use and kept for the isolate's life. */
export function mcpTools(): McpTools {
  if (!tools) {
    const actions = actionsFor('mcp');
    tools = Object.freeze({
      list: Object.freeze(actions.map(toolFor)),
      byName: new Map(actions.map((a) => [a.name, a])),
    });
  }
  return tools;
}
