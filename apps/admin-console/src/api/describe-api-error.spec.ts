import { CATALOGUES, format, type Language, type MessageKey } from '../i18n/catalogue';
import { ApiError } from './api-error';
import { describeApiError, describeDetail, describeSignInError, formErrorsOf } from './describe-api-error';

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
      general: [{ text: '此账户的 Webhook 数量已达上限。请先删除一个。' }],
    });
    const invalid = new ApiError(400, 'VALIDATION_FAILED', 'bad', [
      { field: 'targetUrl', code: 'INVALID_VALUE', message: 'must be https' },
    ]);
    expect(formErrorsOf(invalid, tIn('en'))).toEqual({
      fields: { targetUrl: [{ text: 'must be https', verbatim: true }] },
      general: [],
    });
  });

  it("word each refused field by its code and params in the admin's language", () => {
    const tooLong = ApiError.fromBody(400, {
      code: 'VALIDATION_FAILED',
      message: 'name must be shorter than or equal to 100 characters',
      details: [
        {
          field: 'name',
          code: 'FIELD_TOO_LONG',
          message: 'must be shorter than or equal to 100 characters',
          params: { max: 100 },
        },
        {
          field: 'authentication.type',
          code: 'NOT_ONE_OF',
          message: 'x',
          params: { values: ['NONE', 'BASIC'] },
        },
      ],
    });
    expect(formErrorsOf(tooLong, tIn('zh-CN')).fields).toEqual({
      name: [{ text: '不能超过 100 个字符' }],
      authentication: [{ text: '必须是以下之一：NONE, BASIC' }],
    });
    expect(formErrorsOf(tooLong, tIn('en')).fields.name).toEqual([
      { text: 'must be at most 100 characters long' },
    ]);
    // Plural rules on the rule's number: "1 character", not "1 characters".
    expect(
      describeDetail({ field: 'name', code: 'FIELD_TOO_SHORT', message: 'x', params: { min: 1 } }, tIn('en')),
    ).toEqual({ text: 'must be at least 1 character long' });
  });

  it('word a domain rule by its code, and a refused target URL by its reason (the generic words for an unknown reason)', () => {
    const scheme = {
      field: 'targetUrl',
      code: 'TARGET_URL_NOT_ALLOWED' as const,
      message: 'must use https (or http where allowed)',
      params: { reason: 'SCHEME_NOT_HTTP' },
    };
    expect(describeDetail(scheme, tIn('zh-CN'))).toEqual({
      text: '必须以 https://（或在允许时以 http://）开头',
    });
    expect(describeDetail(scheme, tIn('en'))).toEqual({
      text: 'must start with https:// (or http:// where allowed)',
    });
    expect(
      describeDetail({ ...scheme, params: { reason: 'NON_PUBLIC_ADDRESS', host: '10.0.0.5' } }, tIn('zh-CN')),
    ).toEqual({ text: '指向私有或内部地址（10.0.0.5）；请使用公网主机' });
    expect(describeDetail({ ...scheme, params: { reason: 'A_NEWER_REASON' } }, tIn('zh-CN'))).toEqual({
      text: '不是允许的目标 URL',
    });
    expect(
      describeDetail(
        {
          field: 'name',
          code: 'NAME_INVISIBLE_CHARACTERS',
          message: 'must not contain control or invisible',
        },
        tIn('zh-CN'),
      ),
    ).toEqual({ text: '不能包含控制字符或不可见的格式字符（如零宽空格）' });
    expect(
      describeDetail(
        { field: 'authentication.password', code: 'PASSWORD_REQUIRED_FOR_BASIC', message: 'is required' },
        tIn('zh-CN'),
      ),
    ).toEqual({ text: '使用基本身份验证时必须填写' });
  });

  it("word a refusal's detail by the error it repeats, and keep the server's English for an unknown code", () => {
    const taken = new ApiError(409, 'WEBHOOK_NAME_TAKEN', 'taken', [
      {
        field: 'name',
        code: 'WEBHOOK_NAME_TAKEN',
        message: 'is already used by another webhook of this account',
      },
    ]);
    expect(formErrorsOf(taken, tIn('zh-CN')).fields.name).toEqual([{ text: '此账户中已有同名的 Webhook。' }]);
    for (const code of ['NEW_RULE_FROM_A_NEWER_SERVER', 'INVALID_VALUE', ''])
      expect(describeDetail({ field: 'name', code, message: 'must be nicer' }, tIn('zh-CN'))).toEqual({
        text: 'must be nicer',
        verbatim: true,
      });
    // Field-less details worded the same are said once; untranslated ones keep their field's name.
    const backlog = new ApiError(409, 'PENDING_EVENTS_LIMIT_REACHED', 'full', [
      { field: 'pending', code: 'PENDING_EVENTS_LIMIT_REACHED', message: '9 events are waiting' },
      { field: 'cap', code: 'PENDING_EVENTS_LIMIT_REACHED', message: 'at most 5' },
      { field: 'cursor', code: 'SOMETHING_NEW', message: 'is stale' },
    ]);
    expect(formErrorsOf(backlog, tIn('zh-CN')).general).toEqual([
      { text: '此 Webhook 待发送的事件过多。请稍后再试。' },
      { text: 'cursor: is stale', verbatim: true },
    ]);
  });
});
