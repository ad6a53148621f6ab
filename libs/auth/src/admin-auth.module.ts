import { DynamicModule, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ADMIN_JWT_OPTIONS, type AdminJwtOptions } from './admin-jwt-options';
import { AdminJwtStrategy } from './admin-jwt.strategy';

/** Registers the admin JWT strategy; the global guard in @lms/role-guards uses it on every route. */
@Module({})
export class AdminAuthModule {
  static forRoot(options: AdminJwtOptions): DynamicModule {
    return {
      module: AdminAuthModule,
      global: true,
      imports: [PassportModule],
      providers: [{ provide: ADMIN_JWT_OPTIONS, useValue: options }, AdminJwtStrategy],
      exports: [ADMIN_JWT_OPTIONS],
    };
  }
}
