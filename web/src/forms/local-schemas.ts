/**
 * The app's own forms (signing in, changing a password, a module's schedule entry, a regulator's
 * penalty for a credit file), written as the server's forms are: JSON Schema with titleEn/…En twins, shown by the same SchemaForm.
 */

export const loginForm = {
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["username", "password"],
    properties: {
      username: { type: "string", title: "用户名", titleEn: "Username", minLength: 1, maxLength: 128 },
      password: { type: "string", title: "密码", titleEn: "Password", minLength: 1, maxLength: 1024 },
    },
  },
  uiSchema: {
    username: {
      "ui:autofocus": true,
      "ui:autocomplete": "username",
      "ui:help": "采购单位、代理机构沿用原系统的用户名",
      "ui:helpEn": "Purchasing units and agencies keep the username they had on the old system",
    },
    password: {
      "ui:widget": "password",
      "ui:autocomplete": "current-password",
      "ui:help": "首次登录的初始密码为本单位的预算单位编码，登录后须立即修改",
      "ui:helpEn": "At first sign-in the password is your unit's budget code; you change it right after",
    },
  },
};

export const changePasswordForm = {
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["currentPassword", "newPassword", "confirmPassword"],
    properties: {
      currentPassword: { type: "string", title: "当前密码", titleEn: "Current password", minLength: 1 },
      newPassword: { type: "string", title: "新密码", titleEn: "New password", minLength: 12, maxLength: 256 },
      confirmPassword: { type: "string", title: "再次输入新密码", titleEn: "New password again", minLength: 1 },
    },
  },
  uiSchema: {
    currentPassword: {
      "ui:widget": "password",
      "ui:autocomplete": "current-password",
      "ui:autofocus": true,
      "ui:help": "首次登录时为本单位的预算单位编码",
      "ui:helpEn": "At first sign-in, your unit's budget code",
    },
    newPassword: {
      "ui:widget": "password",
      "ui:autocomplete": "new-password",
      "ui:help": "至少 12 个字符；不能包含用户名，不能是预算单位编码或常见密码",
      "ui:helpEn": "At least 12 characters; not containing your username, not your budget code or a common password",
    },
    confirmPassword: { "ui:widget": "password", "ui:autocomplete": "new-password" },
  },
};

const STATE_NAMES = ["未开通", "试点", "全面上线", "停止新业务", "已退役"];
const STATE_NAMES_EN = ["Off", "Pilot", "Live", "Sunset (no new business)", "Retired"];

/** A schedule entry for PUT /api/tenants/:code/modules/:module; `earliest` is the first day a change may start. */
export function scheduleEntryForm(earliest: string) {
  return {
    schema: {
      type: "object",
      additionalProperties: false,
      required: ["state", "from"],
      properties: {
        state: { type: "string", title: "状态", titleEn: "State", enum: ["off", "pilot", "live", "sunset", "retired"] },
        from: { type: "string", format: "date", title: "生效日期（北京时间零点起）", titleEn: "From (00:00 China time)" },
        until: { type: "string", format: "date", title: "截止日期（不含当日，可不填）", titleEn: "Until (exclusive, optional)" },
        units: {
          type: "array",
          title: "试点单位",
          titleEn: "Pilot units",
          uniqueItems: true,
          maxItems: 10000,
          items: { type: "string", title: "预算单位编码", titleEn: "Budget unit code", minLength: 1, maxLength: 40 },
        },
        note: { type: "string", title: "说明", titleEn: "Note", maxLength: 500 },
      },
      if: { properties: { state: { const: "pilot" } }, required: ["state"] },
      then: { required: ["units"], properties: { units: { minItems: 1 } } },
    },
    uiSchema: {
      "ui:order": ["state", "from", "until", "units", "note"],
      state: { "ui:enumNames": STATE_NAMES, "ui:enumNamesEn": STATE_NAMES_EN },
      from: {
        "ui:options": { min: earliest },
        "ui:help": "已经生效的历史不能改写：最早从明天开始",
        "ui:helpEn": "History that already had effect cannot be rewritten: tomorrow at the earliest",
      },
      until: { "ui:options": { min: earliest } },
      units: { "ui:help": "仅试点时需要：可使用本模块的单位", "ui:helpEn": "Pilot only: the units that may use the module" },
      note: { "ui:widget": "textarea", "ui:options": { rows: 2 } },
    },
  };
}

const SUBJECT_KINDS = ["supplier", "agency", "purchaser", "expert"];

/**
 * A regulator's administrative penalty (行政处罚) for POST /api/credit/penalties: the fields the credit
 * plugin's checkFact takes, with its limits, so most mistakes are caught before sending; what only the
 * server checks (a period that ends before it starts) comes back beside its field.
 */
export const creditPenaltyForm = {
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["subjectCode", "subjectKind", "reference", "title", "occurredOn"],
    properties: {
      subjectCode: { type: "string", title: "被处罚单位的统一社会信用代码", titleEn: "Unified social credit code of the party penalised", minLength: 1, maxLength: 40 },
      subjectName: { type: "string", title: "被处罚单位名称", titleEn: "Name of the party penalised", maxLength: 200 },
      subjectKind: { type: "string", title: "主体类别", titleEn: "Kind of party", enum: SUBJECT_KINDS, default: "supplier" },
      reference: { type: "string", title: "处罚决定书文号", titleEn: "Number of the penalty decision", minLength: 1, maxLength: 200 },
      title: {
        type: "object",
        title: "处罚事由",
        titleEn: "What was penalised",
        additionalProperties: false,
        required: ["zh-CN", "en"],
        properties: {
          "zh-CN": { type: "string", title: "处罚事由（中文）", titleEn: "What was penalised (Chinese)", minLength: 1, maxLength: 300 },
          en: { type: "string", title: "处罚事由（英文）", titleEn: "What was penalised (English)", minLength: 1, maxLength: 300 },
        },
      },
      occurredOn: { type: "string", format: "date", title: "处罚决定日期", titleEn: "Date of the decision" },
      bars: { type: "boolean", title: "禁止参加政府采购活动", titleEn: "Barred from government procurement", default: false },
      startsOn: { type: "string", format: "date", title: "处罚期限起始日", titleEn: "First day of the period" },
      endsOn: { type: "string", format: "date", title: "处罚期限截止日", titleEn: "Last day of the period" },
      major: { type: "boolean", title: "重大违法记录", titleEn: "Major violation", default: false },
      published: { type: "boolean", title: "在信用信息公示页公开", titleEn: "Publish on the public credit page", default: false },
    },
    // a bar from procurement needs its first and last day (the server's rule too)
    if: { properties: { bars: { const: true } }, required: ["bars"] },
    then: { required: ["startsOn", "endsOn"] },
  },
  uiSchema: {
    "ui:order": ["subjectCode", "subjectName", "subjectKind", "reference", "title", "occurredOn", "bars", "startsOn", "endsOn", "major", "published"],
    subjectCode: { "ui:autofocus": true, "ui:help": "供应商、代理机构为统一社会信用代码；采购人可为预算单位编码", "ui:helpEn": "Suppliers and agencies: the unified social credit code; purchasers may use their budget unit code" },
    subjectKind: { "ui:enumNames": ["供应商", "代理机构", "采购人", "评审专家"], "ui:enumNamesEn": ["Supplier", "Agency", "Purchaser", "Review expert"] },
    reference: { "ui:help": "如 惠财采罚〔2026〕12号", "ui:helpEn": "e.g. 惠财采罚〔2026〕12号" },
    title: {
      "zh-CN": { "ui:widget": "textarea", "ui:options": { rows: 2 } },
      en: { "ui:widget": "textarea", "ui:options": { rows: 2 } },
    },
    bars: { "ui:help": "期限内信用筛查拒绝其参加政府采购活动（credit.blacklists），须写明起止日期", "ui:helpEn": "Screening excludes the party during the period (credit.blacklists); give its first and last day" },
    startsOn: { "ui:help": "禁止参加政府采购活动的，必填", "ui:helpEn": "Required for a bar from procurement" },
    endsOn: { "ui:help": "不早于起始日", "ui:helpEn": "Not before the first day" },
    major: {
      "ui:help": "刑事处罚、责令停产停业、吊销许可证或者执照、较大数额罚款：自决定日期起在 credit.noMajorViolation3y 规定的年限内不得参加政府采购活动",
      "ui:helpEn": "A criminal penalty, an order to stop business, a revoked licence, a large fine: excluded for the years credit.noMajorViolation3y sets, from the decision",
    },
    published: { "ui:help": "公开后任何人可在信用信息公示页查到", "ui:helpEn": "Anyone can then find it on the public credit page" },
  },
};
