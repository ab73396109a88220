import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import {
  type UpstreamFailure,
  UpstreamFailureError,
  upstreamFailure,
  upstreamProtocolError,
} from './upstream-failure';
import type { Upstream } from './upstreams';

/**
 * What an error the MCP client threw means, when the upstream fetch did not already record a failure:
 * a JSON-RPC error from the upstream keeps its code and message; the client's own timeouts and
 * transport errors map onto the closed union. Anything the client could not make sense of is
 * `not_mcp`: the upstream answered, but not in MCP.
 */
export function classifyClientError(
  upstream: Upstream,
  error: unknown,
  deadlinePassed: boolean,
): UpstreamFailure {
  if (error instanceof UpstreamFailureError) return error.failure;
  if (deadlinePassed) return upstreamFailure(upstream, 'timeout');
  if (error instanceof ProtocolError) return upstreamProtocolError(upstream, error.code, error.message);
  if (error instanceof SdkHttpError) {
    if (error.status === 401 || error.status === 403) return upstreamFailure(upstream, 'unauthorized');
    return upstreamFailure(upstream, error.status >= 500 ? 'unreachable' : 'not_mcp');
  }
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.RequestTimeout:
        return upstreamFailure(upstream, 'timeout');
      case SdkErrorCode.ListPaginationExceeded:
        return upstreamFailure(upstream, 'too_large');
      case SdkErrorCode.ConnectionClosed:
      case SdkErrorCode.SendFailed:
        return upstreamFailure(upstream, 'unreachable');
      default:
        return upstreamFailure(upstream, 'not_mcp');
    }
  }
  return upstreamFailure(upstream, 'not_mcp');
}
