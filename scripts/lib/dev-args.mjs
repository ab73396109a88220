// The `wrangler dev` command line of `npm run dev`: our defaults, then whatever came after `--`.
// wrangler refuses a value flag given twice ("--port" twice is an error, not "last one wins"), so a
// flag the caller passes replaces our default instead of repeating it.

/**
 * The value of `--name value` or `--name=value` in `args` (the last occurrence), or undefined.
 * @param {readonly string[]} args
 * @param {string} name e.g. `--port`
 * @returns {string | undefined}
 */
export function flagValue(args, name) {
  let value;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === name && i + 1 < args.length) value = args[++i];
    else if (arg?.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
  }
  return value;
}

/**
 * `defaults` as flags (`--name value`), leaving out every flag the caller gave in `extra` in either
 * spelling, followed by `extra` unchanged.
 * @param {Readonly<Record<string, string>>} defaults e.g. `{ '--port': '8787' }`
 * @param {readonly string[]} extra the arguments after `--`
 * @returns {string[]}
 */
export function withDefaults(defaults, extra) {
  const given = (name) => extra.some((arg) => arg === name || arg.startsWith(`${name}=`));
  const kept = Object.entries(defaults).filter(([name]) => !given(name));
  return [...kept.flat(), ...extra];
}
