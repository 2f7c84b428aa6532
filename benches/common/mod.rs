//! What every bench shares: deterministic ids.

/// `n` ids below `rows` from an xorshift generator seeded with `seed`.
pub fn ids(n: usize, rows: usize, seed: u64) -> Vec<u32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % rows as u64) as u32
        })
        .collect()
}
