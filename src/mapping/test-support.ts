/** The mapping the docs show, exactly as written there: tests load it as a user would. */
export const EXAMPLE = `name: assets
source:
  users:
    memberOf: ["Finance", "IT Support"]   # groups by name or id; nested members included
    # or assignedTo: <enterprise app object id>
    # or filter: scoping clauses
match: [userName]
attributes:
  userName: "ToLower(Coalesce([mail], [userPrincipalName]))"
  name.givenName: "[givenName]"
  name.familyName: "[surname]"
  displayName: "[displayName]"
  active: "[accountEnabled]"
  externalId: "[id]"
target:
  type: scim
  url: http://127.0.0.1:8080/scim/v2
  token: \${ASSETS_SCIM_TOKEN}
onLeave: disable                          # disable | delete | ignore
`;
