/**
 * One copy of each string among rows held together: the rows of several branches (and of a
 * branch's repositories) name mostly the same packages, versions and ids, which each row read
 * from the database would otherwise hold a copy of.
 */
export type Interner = (text: string) => string;

export function newInterner(): Interner {
  const pool = new Map<string, string>();
  return (text) => {
    const pooled = pool.get(text);
    if (pooled !== undefined) return pooled;
    pool.set(text, text);
    return text;
  };
}
