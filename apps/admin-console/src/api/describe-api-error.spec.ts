import { CATALOGUES, format, type Language, type MessageKey } from '../i18n/catalogue';
import { ApiError } from './api-error';
import { describeApiError, describeSignInError, formErrorsOf } from './describe-api-error';

const tIn =
  (language: Language) =>
  (key: MessageKey, values?: Record<string, string | number>): string =>
    format(CATALOGUES[language][key], values, language);

describe("API errors in the admin's language", () => {
  it('say the sentence of the error code, in English and in Chinese', () => {
    const taken = new ApiError(409, 'WEBHOOK_NAME_TAKEN', 'A webhook named "HR sync" already exists');
    expect(describeApiError(taken, tIn('en'))).toBe('Another webhook of this account already has this name.');
    expect(describeApiError(taken, tIn('zh-CN'))).toBe('此账户中已有同名的 Webhook。');
  });

  it("keep the server's message for a code the console does not know, and name an unreachable API", () => {
    expect(describeApiError(new ApiError(418, 'TEAPOT', 'I am a teapot'), tIn('en'))).toBe(
      'Something went wrong: I am a teapot',
    );
    expect(describeApiError(new TypeError('Failed to fetch'), tIn('zh-CN'))).toBe(
      '无法连接管理 API。它是否在运行？',
    );
  });

  it("give a 500's error id to quote to the operators", () => {
    const failed = ApiError.fromBody(500, {
      code: 'INTERNAL_ERROR',
      message: 'Internal error',
      errorId: 'e-42',
    });
    expect(describeApiError(failed, tIn('en'))).toBe('The server failed. Quote this to the operators: e-42');
  });

  it('say why a token is refused on sign-in', () => {
    expect(describeSignInError(new ApiError(401, 'UNAUTHORIZED', 'x'), tIn('zh-CN'))).toBe(
      CATALOGUES['zh-CN'].tokenExpired,
    );
    expect(describeSignInError(new ApiError(403, 'FORBIDDEN', 'x'), tIn('en'))).toBe(
      CATALOGUES.en.tokenForbidden,
    );
  });

  it("put details beside their fields, and the code's sentence on top when there are none", () => {
    const limit = new ApiError(409, 'WEBHOOK_LIMIT_REACHED', 'At most 5 webhooks per account');
    expect(formErrorsOf(limit, tIn('zh-CN'))).toEqual({
      fields: {},
      general: ['此账户的 Webhook 数量已达上限。请先删除一个。'],
    });
    const invalid = new ApiError(400, 'VALIDATION_FAILED', 'bad', [
      { field: 'targetUrl', message: 'must be https' },
    ]);
    expect(formErrorsOf(invalid, tIn('en'))).toEqual({
      fields: { targetUrl: ['must be https'] },
      general: [],
    });
  });
});
