/** Who is calling the admin API, as the verified JWT says. The account always comes from here. */
export interface AdminPrincipal {
  /** The admin user's id (JWT `sub`); recorded as the actor in the audit log. */
  sub: string;
  accountId: number;
  roles: string[];
}

/** The role every admin API route needs unless it is explicitly public. */
export const INTEGRATION_ADMIN_ROLE = 'INTEGRATION_ADMIN';
