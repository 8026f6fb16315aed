/**
 * The panel's controls. Inside Photoshop they are Spectrum UXP widgets (`sp-button`,
 * `sp-slider`, `sp-picker`…), which follow Photoshop's theme by themselves. In a browser
 * those custom elements do not exist, so the same components render plain elements styled
 * by panel.css with the same theme variables. React 18 does not forward custom events of
 * custom elements, so Spectrum events are attached by ref.
 */
import { createContext, createElement, useContext, useEffect, useRef, type ReactNode } from "react";

/** True where Spectrum UXP widgets exist (Photoshop); false in the browser harness. */
export const SpectrumContext = createContext(false);

type Listener = (event: Event) => void;

/** Attaches a DOM event listener to a custom element (React does not for sp-* events). */
function useElementEvent<T extends HTMLElement>(name: string, listener: Listener | undefined): React.RefObject<T> {
  const ref = useRef<T>(null);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const handler = (event: Event): void => latest.current?.(event);
    element.addEventListener(name, handler);
    return () => element.removeEventListener(name, handler);
  }, [name]);
  return ref;
}

/** Attributes for a custom element: React 18 would write `false` as the string "false". */
function flag(on: boolean | undefined): true | undefined {
  return on ? true : undefined;
}

function targetValue(event: Event): string {
  const target = event.target as { value?: unknown; selectedIndex?: number } | null;
  return String(target?.value ?? "");
}

export interface ButtonProps {
  readonly variant: "cta" | "primary" | "secondary" | "warning";
  readonly quiet?: boolean;
  readonly disabled?: boolean;
  readonly onClick: () => void;
  readonly testId?: string;
  readonly children: ReactNode;
}

export function Button({ variant, quiet, disabled, onClick, testId, children }: ButtonProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  if (spectrum) {
    return createElement("sp-button", { variant, quiet: flag(quiet), disabled: flag(disabled), onClick: disabled ? undefined : onClick, "data-testid": testId, size: "s" }, children);
  }
  return (
    <button type="button" className={`pu-button pu-button--${variant}${quiet ? " pu-button--quiet" : ""}`} disabled={disabled} onClick={onClick} data-testid={testId}>
      {children}
    </button>
  );
}

export interface SliderProps {
  readonly label: string;
  /** 0..1, shown as 0..100. */
  readonly value: number;
  readonly disabled?: boolean;
  readonly onChange: (value: number) => void;
  readonly testId?: string;
}

export function Slider({ label, value, disabled, onChange, testId }: SliderProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const percent = Math.round(value * 100);
  const ref = useElementEvent<HTMLElement>("input", (event) => onChange(Number(targetValue(event)) / 100));
  return (
    <div className={`pu-slider${disabled ? " pu-slider--disabled" : ""}`} data-testid={testId}>
      <div className="pu-slider__row">
        <Detail>{label}</Detail>
        <span className="pu-slider__value">{percent}</span>
      </div>
      {spectrum
        ? createElement("sp-slider", { ref, min: 0, max: 100, step: 1, value: percent, disabled: flag(disabled), variant: "filled", class: "pu-slider__control" })
        : (
          <input
            className="pu-slider__control"
            type="range"
            min={0}
            max={100}
            step={1}
            value={percent}
            disabled={disabled}
            aria-label={label}
            onChange={(event) => onChange(Number(event.target.value) / 100)}
          />
        )}
    </div>
  );
}

export interface PickerOption {
  readonly value: string;
  readonly label: string;
}

export interface PickerProps {
  readonly label: string;
  readonly value: string | undefined;
  readonly options: readonly PickerOption[];
  readonly disabled?: boolean;
  readonly onChange: (value: string) => void;
  readonly testId?: string;
}

export function Picker({ label, value, options, disabled, onChange, testId }: PickerProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const ref = useElementEvent<HTMLElement>("change", (event) => {
    const target = event.target as { value?: string; selectedIndex?: number };
    const chosen = target.value || (target.selectedIndex !== undefined ? options[target.selectedIndex]?.value : undefined);
    if (chosen) onChange(chosen);
  });
  if (spectrum) {
    return createElement(
      "sp-picker",
      { ref, size: "s", label, disabled: flag(disabled), "data-testid": testId, class: "pu-picker" },
      createElement(
        "sp-menu",
        { slot: "options" },
        options.map((option) => createElement("sp-menu-item", { key: option.value, value: option.value, selected: flag(option.value === value) }, option.label)),
      ),
    );
  }
  return (
    <select className="pu-picker" aria-label={label} value={value ?? ""} disabled={disabled} onChange={(event) => onChange(event.target.value)} data-testid={testId}>
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

export interface RadiosProps {
  readonly value: string;
  readonly options: readonly PickerOption[];
  readonly onChange: (value: string) => void;
  readonly testId?: string;
}

export function Radios({ value, options, onChange, testId }: RadiosProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const ref = useElementEvent<HTMLElement>("change", (event) => onChange(targetValue(event)));
  if (spectrum) {
    return createElement(
      "sp-radio-group",
      { ref, column: true, selected: value, "data-testid": testId },
      options.map((option) => createElement("sp-radio", { key: option.value, value: option.value, size: "s", checked: flag(option.value === value) }, option.label)),
    );
  }
  return (
    <div className="pu-radios" role="radiogroup" data-testid={testId}>
      {options.map((option) => (
        <label key={option.value} className="pu-radio">
          <input type="radio" name={testId ?? "radios"} value={option.value} checked={option.value === value} onChange={() => onChange(option.value)} />
          <span>{option.label}</span>
        </label>
      ))}
    </div>
  );
}

export interface CheckboxProps {
  readonly checked: boolean;
  readonly onChange: (checked: boolean) => void;
  readonly children: ReactNode;
  readonly testId?: string;
}

export function Checkbox({ checked, onChange, children, testId }: CheckboxProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const ref = useElementEvent<HTMLElement>("change", (event) => onChange(Boolean((event.target as { checked?: boolean }).checked)));
  if (spectrum) return createElement("sp-checkbox", { ref, size: "s", checked: flag(checked), "data-testid": testId }, children);
  return (
    <label className="pu-checkbox" data-testid={testId}>
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span>{children}</span>
    </label>
  );
}

export interface TextFieldProps {
  readonly value: string;
  readonly placeholder?: string;
  readonly label: string;
  readonly onInput: (value: string) => void;
  readonly onEnter?: () => void;
  readonly testId?: string;
  readonly narrow?: boolean;
}

export function TextField({ value, placeholder, label, onInput, onEnter, testId, narrow }: TextFieldProps): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const ref = useElementEvent<HTMLElement>("input", (event) => onInput(targetValue(event)));
  const className = `pu-textfield${narrow ? " pu-textfield--narrow" : ""}`;
  const onKeyDown = (event: React.KeyboardEvent): void => {
    if (event.key === "Enter") onEnter?.();
  };
  if (spectrum) {
    return createElement("sp-textfield", { ref, size: "s", value, placeholder, "aria-label": label, class: className, "data-testid": testId, onKeyDown });
  }
  return (
    <input className={className} value={value} placeholder={placeholder} aria-label={label} onChange={(event) => onInput(event.target.value)} onKeyDown={onKeyDown} data-testid={testId} />
  );
}

export function ProgressBar({ value, label, testId }: { readonly value: number; readonly label: string; readonly testId?: string }): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  const percent = Math.round(Math.max(0, Math.min(1, value)) * 100);
  if (spectrum) return createElement("sp-progressbar", { max: 100, value: percent, size: "small", "aria-label": label, class: "pu-progress", "data-testid": testId });
  return (
    <div className="pu-progress" role="progressbar" aria-label={label} aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} data-testid={testId}>
      <div className="pu-progress__fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

/** Body text (sp-body). */
export function Body({ children, testId }: { readonly children: ReactNode; readonly testId?: string }): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  if (spectrum) return createElement("sp-body", { size: "S", class: "pu-body", "data-testid": testId }, children);
  return <p className="pu-body" data-testid={testId}>{children}</p>;
}

/** Small secondary text (sp-detail). */
export function Detail({ children, testId }: { readonly children: ReactNode; readonly testId?: string }): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  if (spectrum) return createElement("sp-detail", { size: "S", class: "pu-detail", "data-testid": testId }, children);
  return <span className="pu-detail" data-testid={testId}>{children}</span>;
}

export function Divider(): JSX.Element {
  const spectrum = useContext(SpectrumContext);
  if (spectrum) return createElement("sp-divider", { size: "small", class: "pu-divider" });
  return <hr className="pu-divider" />;
}
