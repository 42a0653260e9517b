/** A small, strict command-line parser: --flag, --option VALUE / --option=VALUE, repeatable options. */
export interface ArgSpec {
  flags: string[];
  options: string[];
  repeatable?: string[];
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, boolean>;
  options: Record<string, string>;
  repeated: Record<string, string[]>;
}

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const result: ParsedArgs = { positional: [], flags: {}, options: {}, repeated: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) { result.positional.push(arg); continue; }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq >= 0) throw new Error(`--${name} takes no value`);
      result.flags[name] = true;
      continue;
    }
    const takesValue = spec.options.includes(name) || (spec.repeatable ?? []).includes(name);
    if (!takesValue) throw new Error(`unknown option --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) throw new Error(`--${name} needs a value`);
      value = next;
    }
    if ((spec.repeatable ?? []).includes(name)) (result.repeated[name] ??= []).push(value);
    else result.options[name] = value;
  }
  return result;
}
