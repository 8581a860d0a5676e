/** Where the header's 评审专家 link leads for these roles, or null for those with nothing there. */
export function expertsHome(roles: readonly string[] | undefined): string | null {
  if (!roles) return null;
  if (roles.includes("regulator")) return "/experts/admission";
  if (roles.includes("agency") || roles.includes("purchaser")) return "/experts/drawings";
  if (roles.includes("expert")) return "/experts/me";
  return null;
}
