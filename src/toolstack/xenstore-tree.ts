/**
 * The xenstore database (docs/xen-pv32-abi.md §11.3; Xen's tools/xenstored):
 * a tree of nodes named by '/'-separated paths, each with a value and an
 * owner. Writing a node creates its missing parents with empty values, as
 * xenstored does. Permissions follow the default rule only: a domain may
 * read and write the nodes it owns and those under its own
 * /local/domain/<id>; domain 0 everything.
 */
interface Node { value: Uint8Array; owner: number; children: Map<string, Node> }

export type XsError = "EINVAL" | "EACCES" | "ENOENT" | "EEXIST" | "ENOTEMPTY" | "E2BIG";

const MAX_PATH = 3072;
const newNode = (owner: number): Node => ({ value: new Uint8Array(0), owner, children: new Map() });

/** A path is absolute, has no empty component and only xenstore's characters (xenstored's is_valid_nodename). */
export function validPath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_PATH || !path.startsWith("/")) return false;
  if (path === "/") return true;
  return !path.endsWith("/") && !path.includes("//") && /^[A-Za-z0-9\-/_@]+$/.test(path);
}

export class XenstoreTree {
  private readonly root = newNode(0);

  private find(path: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const part of path.split("/").filter((p) => p.length > 0)) {
      n = n.children.get(part);
      if (n === undefined) return undefined;
    }
    return n;
  }

  /** Domain `domid` may touch `path` (default permissions: owner, or the domain's own subtree). */
  mayAccess(domid: number, path: string): boolean {
    if (domid === 0) return true;
    const home = `/local/domain/${domid}`;
    if (path === home || path.startsWith(home + "/")) return true;
    return this.find(path)?.owner === domid;
  }

  read(domid: number, path: string): Uint8Array | XsError {
    if (!validPath(path)) return "EINVAL";
    const n = this.find(path);
    if (n === undefined) return "ENOENT";
    if (!this.mayAccess(domid, path)) return "EACCES";
    return n.value;
  }

  write(domid: number, path: string, value: Uint8Array): XsError | undefined {
    if (!validPath(path) || path === "/") return "EINVAL";
    if (!this.mayAccess(domid, path)) return "EACCES";
    let n = this.root;
    for (const part of path.split("/").filter((p) => p.length > 0)) {
      let c = n.children.get(part);
      if (c === undefined) { c = newNode(domid); n.children.set(part, c); }
      n = c;
    }
    n.value = value.slice();
    return undefined;
  }

  mkdir(domid: number, path: string): XsError | undefined {
    if (this.find(path) !== undefined) return validPath(path) ? undefined : "EINVAL";
    return this.write(domid, path, new Uint8Array(0));
  }

  rm(domid: number, path: string): XsError | undefined {
    if (!validPath(path) || path === "/") return "EINVAL";
    const cut = path.lastIndexOf("/");
    const parent = this.find(path.slice(0, cut) || "/");
    if (parent === undefined || !parent.children.has(path.slice(cut + 1))) return "ENOENT";
    if (!this.mayAccess(domid, path)) return "EACCES";
    parent.children.delete(path.slice(cut + 1));
    return undefined;
  }

  directory(domid: number, path: string): string[] | XsError {
    if (!validPath(path)) return "EINVAL";
    const n = this.find(path);
    if (n === undefined) return "ENOENT";
    if (!this.mayAccess(domid, path)) return "EACCES";
    return [...n.children.keys()];
  }

  owner(path: string): number | undefined {
    return this.find(path)?.owner;
  }
}
