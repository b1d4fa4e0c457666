/**
 * `Intl` formatters, built once per locale and options. Building one loads and resolves locale data
 * (50–170 µs each, measured on Node 20), while formatting with a built one takes about 1 µs, and a
 * formatter holds no state between calls: every email and push used to build several.
 */

/** Past this many distinct formatters the cache starts over (locales come from events and profiles). */
const MAX_CACHED = 512;

function memo<F>(build: (locale: string, options: object) => F): (locale: string, options?: object) => F {
  const cache = new Map<string, F>();
  return (locale, options = {}) => {
    const key = `${locale}\u0000${JSON.stringify(options)}`;
    let format = cache.get(key);
    if (format === undefined) {
      // Built before it is cached: an invalid locale throws (RangeError) as it always did, and is not kept.
      format = build(locale, options);
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, format);
    }
    return format;
  };
}

/** `new Intl.NumberFormat(locale, options)`, shared. */
export const numberFormat: (locale: string, options?: Intl.NumberFormatOptions) => Intl.NumberFormat = memo(
  (locale, options) => new Intl.NumberFormat(locale, options),
);

/** `new Intl.DateTimeFormat(locale, options)`, shared. */
export const dateTimeFormat: (locale: string, options?: Intl.DateTimeFormatOptions) => Intl.DateTimeFormat = memo(
  (locale, options) => new Intl.DateTimeFormat(locale, options),
);
