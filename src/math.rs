//! The one piece of float math `core` lacks on stable: a square root.

/// Correctly rounded single-precision square root (IEEE 754, nearest even),
/// the same bits as `f32::sqrt` in `std`, written with integer arithmetic so
/// that it works without `std` (Cortex-M has no libm here).
pub(crate) fn sqrt(x: f32) -> f32 {
    if x.is_nan() || x == 0.0 || x == f32::INFINITY {
        return x; // NaN, ±0 and +inf are their own roots.
    }
    let bits = x.to_bits();
    if bits >> 31 != 0 {
        return f32::NAN;
    }
    let mut exp = ((bits >> 23) & 0xff) as i32;
    let mut m = (bits & 0x7f_ffff) as u64;
    if exp == 0 {
        // Subnormal: shift the leading one up to bit 23.
        let shift = m.leading_zeros() as i32 - 40;
        m <<= shift;
        exp = 1 - shift;
    } else {
        m |= 1 << 23;
    }
    // x = m · 2^e with m in [2^23, 2^24); make e even.
    let mut e = exp - 150;
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // m in [2^23, 2^25). Scale by an even shift so that floor(sqrt(M)) has
    // exactly 24 bits.
    let s = if m < 1 << 24 { 24 } else { 22 };
    let big = m << s;
    let mut r = big.isqrt();
    // Round to nearest: sqrt(big) > r + 1/2  <=>  big - r² > r (no ties).
    if big - r * r > r {
        r += 1;
    }
    // x^(1/2) = r · 2^q. r may have carried to 2^24: the addition below
    // carries into the exponent field, which is exactly right.
    let q = (e - s) / 2;
    let biased = (q + 23 + 127) as u64;
    f32::from_bits(((biased << 23) + (r - (1 << 23))) as u32)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    /// Against `std`'s hardware square root: edge cases, every exponent with
    /// many mantissas (subnormals included), and a stride through all bits.
    #[test]
    fn matches_std() {
        let check = |x: f32| {
            let (got, want) = (super::sqrt(x), x.sqrt());
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "sqrt({x:e}) = {got:e}, std says {want:e}"
            );
        };
        for x in [
            0.0,
            -0.0,
            1.0,
            4.0,
            2.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
        ] {
            check(x);
        }
        let step = if cfg!(miri) { 0x0100_0001 } else { 0x101 };
        let mut b: u32 = 0;
        while b < 0x8000_0000 {
            check(f32::from_bits(b));
            check(f32::from_bits(b ^ 0x7f_ffff));
            b += step;
        }
    }
}
