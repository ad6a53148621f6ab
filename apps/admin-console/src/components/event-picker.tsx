import type { ErrorText } from '../api/api-error';
import { useId, useMemo, useState } from 'react';
import type { EventType } from '../api/api-types';
import { describeEvent } from '../i18n/event-descriptions';
import { useI18n } from '../i18n/i18n-context';
import { FieldError } from './form-field';

interface EventPickerProps {
  eventTypes: EventType[];
  selected: string[];
  onChange: (events: string[]) => void;
  errorId: string;
  errors?: ErrorText[];
}

/** Trigger Events: a checkbox per event, real-time first, each with its description, and a filter. */
export function EventPicker({ eventTypes, selected, onChange, errorId, errors }: EventPickerProps) {
  const { t, language } = useI18n();
  const [filter, setFilter] = useState('');
  const base = useId();
  const needle = filter.trim().toLowerCase();
  const visible = useMemo(
    () =>
      eventTypes
        .map((type) => ({ ...type, description: describeEvent(type, language) }))
        .filter(
          (type) =>
            needle === '' ||
            type.name.toLowerCase().includes(needle) ||
            type.description.toLowerCase().includes(needle),
        ),
    [eventTypes, needle, language],
  );
  const toggle = (name: string, checked: boolean) =>
    onChange(checked ? [...selected, name] : selected.filter((event) => event !== name));

  const group = (realtime: boolean) => {
    const types = visible.filter((type) => type.realtime === realtime);
    if (types.length === 0) return null;
    return (
      <fieldset className="event-group">
        <legend>{t(realtime ? 'realtime' : 'nonRealtime')}</legend>
        <p className="hint">{t(realtime ? 'realtimeHint' : 'nonRealtimeHint')}</p>
        <ul>
          {types.map((type) => {
            const id = `${base}-${type.name}`;
            return (
              <li key={type.name}>
                <input
                  id={id}
                  type="checkbox"
                  checked={selected.includes(type.name)}
                  aria-describedby={`${id}-description`}
                  onChange={(event) => toggle(type.name, event.target.checked)}
                />
                <label htmlFor={id} className="event-name" translate="no">
                  {type.name}
                </label>
                <span id={`${id}-description`} className="hint event-description">
                  {type.description}
                </span>
              </li>
            );
          })}
        </ul>
      </fieldset>
    );
  };

  return (
    <fieldset className="field events" aria-describedby={errors ? errorId : undefined}>
      <legend>{t('triggerEvents')}</legend>
      <div className="events-toolbar">
        <label htmlFor={`${base}-filter`}>{t('filterEvents')}</label>
        <input
          id={`${base}-filter`}
          type="search"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <span className="muted" aria-live="polite">
          {t('eventsSelected', { count: selected.length })}
        </span>
      </div>
      <FieldError id={errorId} messages={errors} />
      {visible.length === 0 ? (
        <p>{t('noEventsMatch')}</p>
      ) : (
        <>
          {group(true)}
          {group(false)}
        </>
      )}
    </fieldset>
  );
}
