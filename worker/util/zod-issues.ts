/** Zod's problems with a value as one readable line: "path.to.field: message; …", the value itself named `root`. */
export function describeIssues(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, root: string, max = Infinity): string {
  return issues
    .slice(0, max)
    .map((i) => `${i.path.map(String).join(".") || root}: ${i.message}`)
    .join("; ");
}
