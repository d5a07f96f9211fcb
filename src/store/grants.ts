/**
 * Nested-group expansion, independent of any database: given how to read one level of group
 * membership, walk breadth-first so each group is reached once by its shortest path. Cycles (A in B
 * in A) are legal in Entra ID and end the walk instead of looping.
 */

export interface Member {
  id: string;
  type: string;
}

/** A principal reached through groups: `via` lists groups from its direct group outward. */
export interface Reached {
  id: string;
  type: string;
  via: string[];
}

/**
 * Every transitive member of `groupId` (not the group itself), each once with its shortest path.
 * `via` runs from the member's direct group out to `groupId`.
 */
export function transitiveMembers(groupId: string, membersOf: (groupId: string) => Member[]): Reached[] {
  const reached: Reached[] = [];
  const seen = new Set<string>([groupId]);
  let frontier: { id: string; via: string[] }[] = [{ id: groupId, via: [groupId] }];
  while (frontier.length > 0) {
    const next: { id: string; via: string[] }[] = [];
    for (const group of frontier) {
      for (const member of membersOf(group.id)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        reached.push({ id: member.id, type: member.type, via: group.via });
        if (member.type === "group") next.push({ id: member.id, via: [member.id, ...group.via] });
      }
    }
    frontier = next;
  }
  return reached;
}

/**
 * Every group `principalId` belongs to, directly or through nesting, each once with its shortest
 * path. `via` runs from the principal's direct group up to (excluding) the group reached.
 */
export function transitiveGroups(principalId: string, groupsOf: (id: string) => string[]): Reached[] {
  const reached: Reached[] = [];
  const seen = new Set<string>([principalId]);
  let frontier: { id: string; via: string[] }[] = [{ id: principalId, via: [] }];
  while (frontier.length > 0) {
    const next: { id: string; via: string[] }[] = [];
    for (const node of frontier) {
      for (const groupId of groupsOf(node.id)) {
        if (seen.has(groupId)) continue;
        seen.add(groupId);
        reached.push({ id: groupId, type: "group", via: node.via });
        next.push({ id: groupId, via: [...node.via, groupId] });
      }
    }
    frontier = next;
  }
  return reached;
}
