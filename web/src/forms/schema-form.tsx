/**
 * Every form of the web app: a JSON Schema and uiSchema (from GET /api/forms/:id, or one of the
 * app's own in local-schemas.ts) shown by rjsf in the language on screen, checked in the browser
 * by the server's own rules (core/forms/rjsf.ts), and the server's 400 details shown beside their
 * fields. Above a form with problems, a summary links to each; a long form gets a list of its
 * sections.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import Form from "@rjsf/core";
import type { IChangeEvent } from "@rjsf/core";
import type { RJSFSchema, RJSFValidationError, UiSchema } from "@rjsf/utils";
import { localizeForm } from "../../../core/forms/display";
import { ApiError } from "../api/client";
import type { FormDoc } from "../api/types";
import { useI18n } from "../i18n";
import { ErrorNotice, Loading } from "../ui/parts";
import { useApi } from "../ui/use-api";
import { useSession } from "../auth/session";
import { accountDefaults, derivedUpdates } from "./derived";
import { fromClient, fromServer, schemaAt, segmentsOf, stillStanding, summarize, toErrorSchema, type FieldProblem, type SummaryItem } from "./error-mapping";
import { validator } from "./validator";
import { templates, translatorFor, widgets } from "./widgets";

type Data = Record<string, unknown>;

export interface SchemaFormProps {
  schema: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  formData?: Data;
  /** Sends the data; a rejected ApiError is shown (field details beside their fields). */
  onSubmit(data: Data): Promise<unknown>;
  submitLabel: string;
  /** buttons beside the submit button */
  actions?: ReactNode;
  /** ids of the fields: `<idPrefix>_<path>`; distinct per form on one page */
  idPrefix?: string;
  /** the registered form this is (ServerForm): an attachment field names it at upload, for its limits */
  formId?: string;
  /** the page already has the form's title as its heading */
  hideTitle?: boolean;
  /** told of every change (a form that shows something derived from what is typed) */
  onChange?(data: Data): void;
  className?: string;
}

function focusField(id: string) {
  const el = document.getElementById(id);
  if (!el) return;
  const target = el.matches("input, select, textarea, button") ? el : el.querySelector<HTMLElement>("input, select, textarea, button");
  (target ?? el).scrollIntoView({ block: "center" });
  (target ?? el).focus({ preventScroll: true });
}

/** Top-level groups (objects and lists) of a form, for its table of contents. */
function sectionsOf(schema: Record<string, unknown>): Array<{ name: string; title: string }> {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.keys(props)
    .map((name) => ({ name, node: schemaAt(schema, `/${name}`) }))
    .filter(({ node }) => node && (node.type === "object" || node.type === "array"))
    .map(({ name, node }) => ({ name, title: typeof node!.title === "string" ? (node!.title as string) : name }));
}

export function SchemaForm(props: SchemaFormProps) {
  const { lang, t } = useI18n();
  const idPrefix = props.idPrefix ?? "root";
  const localized = useMemo(() => {
    const l = localizeForm(props.schema, props.uiSchema ?? {}, lang);
    if (props.hideTitle) {
      const { title: _t, description: _d, ...rest } = l.schema as Record<string, unknown>;
      void _t;
      void _d;
      return { schema: rest, uiSchema: l.uiSchema };
    }
    return l;
  }, [props.schema, props.uiSchema, props.hideTitle, lang]);

  const formContext = useMemo(() => (props.formId ? { formId: props.formId } : undefined), [props.formId]);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const data = useRef<Data>(props.formData ?? {});
  const lastClient = useRef<FieldProblem[]>([]);
  const langRef = useRef(lang);
  langRef.current = lang;
  const formRef = useRef<Form>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  // The browser's errors in the words the server uses, in the language on screen.
  const transformErrors = useCallback(
    (errors: RJSFValidationError[]) => {
      const mapped = errors.map((e) => fromClient([e], props.schema)[0]);
      lastClient.current = mapped.filter(Boolean);
      return errors.map((e, i) => (mapped[i] ? { ...e, message: mapped[i].message[langRef.current], stack: mapped[i].message[langRef.current] } : e));
    },
    [props.schema],
  );

  const server = useMemo(() => problems.filter((p) => p.source === "server"), [problems]);
  // beside the fields; a problem at no field of the form is in the summary only
  const { errorSchema } = useMemo(() => toErrorSchema(server, localized.schema, lang), [server, localized.schema, lang]);
  const summary: SummaryItem[] = useMemo(
    () => summarize(problems, localized.schema, localized.uiSchema, lang, { idPrefix, itemLabel: (n) => t("form.itemN", { n }) }),
    [problems, localized, lang, idPrefix, t],
  );

  // A new language: the browser's messages again, in it.
  useEffect(() => {
    if (tried && formRef.current) {
      formRef.current.validateForm();
      setProblems((ps) => [...ps.filter((p) => p.source === "server"), ...lastClient.current]);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lang]);

  // Focus moves to the summary once it is on screen (after the render that shows it).
  const [summoned, setSummoned] = useState(0);
  useEffect(() => {
    if (summoned) summaryRef.current?.focus();
  }, [summoned]);
  const showSummary = () => setSummoned((n) => n + 1);

  const onError = () => {
    setTried(true);
    setFailure(null);
    setProblems((ps) => [...ps.filter((p) => p.source === "server"), ...lastClient.current]);
    showSummary();
  };

  const onChange = (e: IChangeEvent) => {
    const before = data.current;
    data.current = (e.formData ?? {}) as Data;
    // fields the uiSchema derives (a line's amount, the total) follow what was typed
    for (const u of derivedUpdates(props.uiSchema, before, data.current)) formRef.current?.setFieldValue(u.path, u.value);
    props.onChange?.(data.current);
    if (problems.length) {
      const left = stillStanding(problems, before, data.current, ["server", "client"]);
      if (left.length !== problems.length) setProblems(left);
    }
  };

  const onSubmit = async (e: IChangeEvent) => {
    const submitted = (e.formData ?? {}) as Data;
    data.current = submitted;
    setTried(true);
    setProblems([]);
    setFailure(null);
    setBusy(true);
    try {
      await props.onSubmit(submitted);
    } catch (err) {
      if (err instanceof ApiError && err.code === "VALIDATION_FAILED" && err.details.length) {
        setProblems(fromServer(err.details));
        showSummary();
      } else {
        setFailure(err);
      }
    } finally {
      setBusy(false);
    }
  };

  const sections = useMemo(() => sectionsOf(localized.schema), [localized.schema]);
  const countIn = (name: string) => summary.filter((s) => segmentsOf(s.pointer)[0] === name).length;

  return (
    <div className={`schema-form ${props.className ?? ""}`}>
      {failure ? <ErrorNotice error={failure} /> : null}
      {summary.length ? (
        <div className="error-summary" role="alert" tabIndex={-1} ref={summaryRef} aria-labelledby={`${idPrefix}__summary`}>
          <h2 id={`${idPrefix}__summary`}>{t("form.summary", { n: summary.length })}</h2>
          <ul>
            {summary.map((s, i) => (
              <li key={`${s.pointer}-${i}`}>
                {s.fieldId ? (
                  <a
                    href={`#${s.fieldId}`}
                    onClick={(ev) => {
                      ev.preventDefault();
                      focusField(s.fieldId!);
                    }}
                  >
                    <strong>{s.label}</strong>：{s.message}
                  </a>
                ) : (
                  <span>
                    <strong>{s.label}</strong>：{s.message}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {sections.length >= 2 ? (
        <nav className="form-sections" aria-label={t("form.sections")}>
          <span>{t("form.sections")}：</span>
          {sections.map((s) => (
            <a
              key={s.name}
              href={`#${idPrefix}_${s.name}`}
              onClick={(ev) => {
                ev.preventDefault();
                focusField(`${idPrefix}_${s.name}`);
              }}
            >
              {s.title}
              {countIn(s.name) ? <span className="section-errors"> ({t("form.sectionErrors", { n: countIn(s.name) })})</span> : null}
            </a>
          ))}
        </nav>
      ) : null}
      <Form
        ref={formRef}
        schema={localized.schema as RJSFSchema}
        uiSchema={localized.uiSchema as UiSchema}
        initialFormData={props.formData}
        validator={validator}
        widgets={widgets}
        templates={templates}
        translateString={translatorFor(lang)}
        idPrefix={idPrefix}
        formContext={formContext}
        noHtml5Validate
        showErrorList={false}
        liveValidate={tried ? "onBlur" : undefined}
        transformErrors={transformErrors}
        extraErrors={errorSchema as never}
        onChange={onChange}
        onError={onError}
        onSubmit={(e) => void onSubmit(e)}
        disabled={busy}
      >
        <div className="form-actions">
          {/* Pressing it leaves the field where the focus was, so nothing is validated on blur while it is
              held: a field's error going away then would move the button from under the pointer, and the
              release would land beside it, losing the click. Submitting checks every field anyway. */}
          <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy} onMouseDown={(e) => e.preventDefault()}>
            {busy ? t("common.sending") : props.submitLabel}
          </button>
          {props.actions}
        </div>
      </Form>
    </div>
  );
}

/** The part of `data` a form has fields for (top level): what it starts from when it edits existing data. */
export function prefillFor(schema: Record<string, unknown> | undefined, data: Data): Data {
  const props = (schema?.properties ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(data).filter(([k, v]) => k in props && v !== null && v !== undefined && v !== ""));
}

/**
 * A form the server keeps (GET /api/forms/:id), for the caller's tenant or another. `prefillFrom`:
 * data to start from (an instance's, a link's), of which the fields the form has are taken.
 */
export function ServerForm(props: Omit<SchemaFormProps, "schema" | "uiSchema"> & { formId: string; tenant?: string; prefillFrom?: Data }) {
  const { t } = useI18n();
  const { data, error, loading } = useApi<FormDoc>(`/forms/${encodeURIComponent(props.formId)}${props.tenant ? `?tenant=${props.tenant}` : ""}`);
  const account = useSession().state?.user;
  const { prefillFrom, ...rest } = props;
  const formData = useMemo(() => {
    const given = prefillFrom ? { ...prefillFor(data?.schema, prefillFrom), ...props.formData } : props.formData;
    return accountDefaults(data?.uiSchema, given ?? {}, account as unknown as Data | undefined);
  }, [data, prefillFrom, props.formData, account]);
  if (loading && !data) return <Loading label={t("form.loading")} />;
  if (error || !data) return <ErrorNotice error={error} />;
  return <SchemaForm {...rest} formData={formData} schema={data.schema} uiSchema={data.uiSchema} />;
}
