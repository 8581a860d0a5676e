/**
 * How fields look and are read out: inputs tied to their labels, errors and help (aria-describedby,
 * aria-invalid), money and working days with widgets of their own, list buttons with words rather
 * than icon fonts, and rjsf's own strings in the language on screen.
 */
import { memo, useCallback, type ChangeEvent, type FocusEvent } from "react";
import {
  ariaDescribedByIds,
  englishStringTranslator,
  getInputProps,
  TranslatableString,
  type ArrayFieldItemTemplateProps,
  type BaseInputTemplateProps,
  type IconButtonProps,
  type RegistryWidgetsType,
  type TemplatesType,
  type WidgetProps,
} from "@rjsf/utils";
import { isDate, isWorkingDay } from "../../../core/forms/formats";
import { isMoney } from "../../../core/forms/money";
import { query } from "../api/client";
import type { Instance, Page } from "../api/types";
import { chinaDate, groupMoney, translate, useI18n, type Lang, type MessageKey } from "../i18n";
import { useApi } from "../ui/use-api";
import { valueAt } from "./error-mapping";
import { chineseAmount, normalizeMoneyInput } from "./money-text";
import { FileWidget } from "./file-widget";

/** Every plain <input>: the base of rjsf's text, date, number and email widgets. */
function BaseInput(props: BaseInputTemplateProps) {
  const { id, htmlName, value, readonly, disabled, autofocus, onBlur, onFocus, onChange, onChangeOverride, options, schema, rawErrors, type, required, placeholder } = props;
  const inputProps = getInputProps(schema, type, options);
  // a date picker's first and last day (the schedule editor: not before tomorrow)
  if (inputProps.type === "date") {
    if (typeof options.min === "string") inputProps.min = options.min;
    if (typeof options.max === "string") inputProps.max = options.max;
  }
  const shown = inputProps.type === "number" || inputProps.type === "integer" ? (value || value === 0 ? value : "") : (value ?? "");
  const handleChange = useCallback((e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value === "" ? options.emptyValue : e.target.value), [onChange, options]);
  return (
    <input
      id={id}
      name={htmlName || id}
      className="form-control"
      readOnly={readonly}
      disabled={disabled}
      autoFocus={autofocus}
      required={required}
      placeholder={placeholder}
      value={shown}
      {...inputProps}
      onChange={onChangeOverride || handleChange}
      onBlur={(e: FocusEvent<HTMLInputElement>) => onBlur(id, e.target.value)}
      onFocus={(e: FocusEvent<HTMLInputElement>) => onFocus(id, e.target.value)}
      aria-invalid={rawErrors?.length ? true : undefined}
      aria-describedby={ariaDescribedByIds(id, !!schema.examples)}
    />
  );
}

/** The words under an amount: 人民币大写 in Chinese, grouped digits in English. */
export function amountInWords(value: string, lang: Lang): string | null {
  if (!isMoney(value)) return null;
  return lang === "zh-CN" ? chineseAmount(value) : `${groupMoney(value)} yuan`;
}

/** Money: a text field (never type=number, which is a float), ¥ before it, the amount in words under it. */
function MoneyWidget(props: WidgetProps) {
  const { id, htmlName, value, required, disabled, readonly, autofocus, onChange, onBlur, onFocus, rawErrors, placeholder } = props;
  const { lang, t } = useI18n();
  const text = typeof value === "string" ? value : "";
  const words = text ? amountInWords(text, lang) : null;
  return (
    <div className="money-field">
      <div className="money-input">
        <span className="money-prefix" aria-hidden="true">
          ¥
        </span>
        <input
          id={id}
          name={htmlName || id}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          className="form-control"
          value={text}
          required={required}
          disabled={disabled}
          readOnly={readonly}
          autoFocus={autofocus}
          placeholder={placeholder || "0.00"}
          onChange={(e) => {
            const v = normalizeMoneyInput(e.target.value);
            onChange(v === "" ? undefined : v);
          }}
          onBlur={(e) => onBlur(id, e.target.value)}
          onFocus={(e) => onFocus(id, e.target.value)}
          aria-invalid={rawErrors?.length ? true : undefined}
          aria-describedby={`${ariaDescribedByIds(id)} ${id}__words`}
        />
        <span className="money-unit" aria-hidden="true">
          {t("common.yuan")}
        </span>
      </div>
      <span className="money-words" id={`${id}__words`} aria-live="polite">
        {words ?? ""}
      </span>
    </div>
  );
}

const WEEKDAYS: MessageKey[] = ["week.0", "week.1", "week.2", "week.3", "week.4", "week.5", "week.6"];

/** A working day: the browser's date picker, and whether the chosen day is one (holidays and 调休 included). */
function WorkingDayWidget(props: WidgetProps) {
  const { id, htmlName, value, required, disabled, readonly, autofocus, onChange, onBlur, onFocus, rawErrors } = props;
  const { t } = useI18n();
  const text = typeof value === "string" ? value : "";
  let hint = "";
  if (isDate(text)) {
    const weekday = t(WEEKDAYS[new Date(`${text}T00:00:00Z`).getUTCDay()]);
    hint = isWorkingDay(text) ? t("form.workingDay", { weekday }) : t("form.notWorkingDay", { weekday });
  }
  return (
    <div className="date-field">
      <input
        id={id}
        name={htmlName || id}
        type="date"
        className="form-control"
        value={text}
        required={required}
        disabled={disabled}
        readOnly={readonly}
        autoFocus={autofocus}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        onBlur={(e) => onBlur(id, e.target.value)}
        onFocus={(e) => onFocus(id, e.target.value)}
        aria-invalid={rawErrors?.length ? true : undefined}
        aria-describedby={`${ariaDescribedByIds(id)} ${id}__day`}
      />
      <span id={`${id}__day`} className={`day-hint${hint && !isWorkingDay(text) ? " day-off" : ""}`} aria-live="polite">
        {hint}
      </span>
    </div>
  );
}

/**
 * An instance of a workflow, chosen by its name rather than pasted as an id (a plan's project is the
 * intention that began it): `"ui:widget": "instance"`, `"ui:options": { "workflow": "supervision.intention",
 * "state": "published", "label": "/projectName" }`. The list is what the caller may read
 * (GET /api/instances), newest first; an id given already (a link's) stays chosen.
 */
function InstanceWidget(props: WidgetProps) {
  const { id, htmlName, value, required, disabled, readonly, autofocus, onChange, onBlur, onFocus, rawErrors, options } = props;
  const { t } = useI18n();
  const workflow = typeof options.workflow === "string" ? options.workflow : "";
  const state = typeof options.state === "string" ? options.state : "";
  const label = typeof options.label === "string" ? options.label : "";
  const list = useApi<Page<Instance>>(workflow ? `/instances${query({ workflow, state, pageSize: 100 })}` : null);
  const items = list.data?.items ?? [];
  const text = typeof value === "string" ? value : "";
  const nameOf = (i: Instance) => {
    const name = valueAt(i.data, label);
    return `${typeof name === "string" && name ? name : t("form.unnamed")} · ${chinaDate(i.createdAt)}`;
  };
  return (
    <div className="instance-field">
      <select
        id={id}
        name={htmlName || id}
        className="form-control"
        value={text}
        required={required}
        disabled={disabled || readonly}
        autoFocus={autofocus}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        onBlur={(e) => onBlur(id, e.target.value)}
        onFocus={(e) => onFocus(id, e.target.value)}
        aria-invalid={rawErrors?.length ? true : undefined}
        aria-describedby={`${ariaDescribedByIds(id)} ${id}__list`}
        aria-busy={list.loading}
      >
        <option value="">{t("form.choose")}</option>
        {text && !items.some((i) => i.id === text) ? <option value={text}>{list.loading ? t("common.loading") : t("form.chosenElsewhere")}</option> : null}
        {items.map((i) => (
          <option key={i.id} value={i.id}>
            {nameOf(i)}
          </option>
        ))}
      </select>
      <span id={`${id}__list`} className="muted" aria-live="polite">
        {list.error ? t("form.listFailed") : list.data && !items.length ? t("form.noneToChoose") : ""}
      </span>
    </div>
  );
}

/** Widgets by name; a string field whose format has a widget of that name gets it without a uiSchema. */
export const widgets: RegistryWidgetsType = {
  money: MoneyWidget,
  "working-day": WorkingDayWidget,
  instance: InstanceWidget,
  attachment: FileWidget,
};

function TextButton({ label, kind, icon, className, onClick, disabled, id }: IconButtonProps & { label: string; kind: string }) {
  return (
    <button type="button" id={id} className={`btn btn-${kind} ${className ?? ""}`} onClick={onClick} disabled={disabled} title={label}>
      <span aria-hidden="true">{icon as string}</span> {label}
    </button>
  );
}

const makeButton = (which: TranslatableString, kind: string, icon: string) =>
  memo(function Button(props: IconButtonProps) {
    return <TextButton {...props} kind={kind} icon={icon} label={props.registry.translateString(which)} />;
  });

/** A list item as a card: its number, its buttons, then its fields. */
function ArrayItem(props: ArrayFieldItemTemplateProps) {
  const { children, buttonsProps, hasToolbar, index, registry } = props;
  const { t } = useI18n();
  const Buttons = registry.templates.ArrayFieldItemButtonsTemplate;
  return (
    <div className="array-item">
      <div className="array-item-head">
        <span className="array-item-title">{t("form.itemN", { n: index + 1 })}</span>
        {hasToolbar ? (
          <span className="array-item-tools">
            <Buttons {...buttonsProps} />
          </span>
        ) : null}
      </div>
      <div className="array-item-body">{children}</div>
    </div>
  );
}

export const templates: Partial<Omit<TemplatesType, "ButtonTemplates">> & { ButtonTemplates?: Partial<TemplatesType["ButtonTemplates"]> } = {
  BaseInputTemplate: BaseInput,
  ArrayFieldItemTemplate: ArrayItem,
  ButtonTemplates: {
    AddButton: makeButton(TranslatableString.AddItemButton, "add", "+"),
    RemoveButton: makeButton(TranslatableString.RemoveButton, "remove", "×"),
    MoveUpButton: makeButton(TranslatableString.MoveUpButton, "move", "↑"),
    MoveDownButton: makeButton(TranslatableString.MoveDownButton, "move", "↓"),
    CopyButton: makeButton(TranslatableString.CopyButton, "copy", "⧉"),
  },
};

/** rjsf's own words (buttons, yes/no, empty lists) from the dictionary; the rare rest in rjsf's English. */
const zhStrings: Partial<Record<TranslatableString, MessageKey>> = {
  [TranslatableString.ArrayItemTitle]: "rjsf.item",
  [TranslatableString.EmptyArray]: "rjsf.emptyArray",
  [TranslatableString.YesLabel]: "common.yes",
  [TranslatableString.NoLabel]: "common.no",
  [TranslatableString.CloseLabel]: "common.close",
  [TranslatableString.ErrorsLabel]: "rjsf.errors",
  [TranslatableString.AddButton]: "rjsf.add",
  [TranslatableString.AddItemButton]: "rjsf.addItem",
  [TranslatableString.CopyButton]: "rjsf.copy",
  [TranslatableString.MoveDownButton]: "rjsf.moveDown",
  [TranslatableString.MoveUpButton]: "rjsf.moveUp",
  [TranslatableString.RemoveButton]: "rjsf.remove",
  [TranslatableString.NowLabel]: "rjsf.now",
  [TranslatableString.ClearLabel]: "rjsf.clear",
  [TranslatableString.ClearButton]: "rjsf.clear",
  [TranslatableString.AriaDateLabel]: "rjsf.pickDate",
  [TranslatableString.OptionalObjectAdd]: "rjsf.optionalAdd",
  [TranslatableString.OptionalObjectRemove]: "rjsf.optionalRemove",
  [TranslatableString.OptionalObjectEmptyMsg]: "rjsf.optionalEmpty",
  [TranslatableString.NewStringDefault]: "rjsf.newValue",
};

export function translatorFor(lang: Lang): (s: TranslatableString, params?: string[]) => string {
  return (s, params) => {
    const key = zhStrings[s];
    return key ? translate(lang, key) : englishStringTranslator(s, params);
  };
}
