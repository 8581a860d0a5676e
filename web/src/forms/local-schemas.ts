/**
 * The app's own forms (signing in, changing a password, a module's schedule entry), written as the
 * server's forms are: JSON Schema with titleEn/…En twins, shown by the same SchemaForm.
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
