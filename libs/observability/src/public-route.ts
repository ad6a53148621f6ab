/**
 * Metadata key marking a route as public (no token). The admin API's global guard denies every route
 * without it; it lives here, in the lowest lib, so health and metrics can be public without depending
 * on the auth libs. `@Public()` in @lms/role-guards sets the same key.
 */
export const PUBLIC_ROUTE = 'lmsw:public-route';
