//! The crate-private vector trait every SIMD path implements. The formats'
//! codecs (`crate::format::codec`) map their rows onto it.
//!
//! Every method is `unsafe`: an implementation may use instructions of its
//! ISA, so the caller must run on a CPU that has them (the `#[target_feature]`
//! trampolines guarantee that), and pointers must be valid for the lanes touched.

/// `LANES` f32 lanes of one ISA's vector register.
///
/// Arithmetic is IEEE single precision, round to nearest even, each
/// operation rounded on its own (never fused, except
/// [`Vector::mul_add_exact`], fused on every path), so every implementation gives
/// the same bits as scalar Rust.
pub trait Vector: Copy {
    /// f32 lanes in one vector (at most 16).
    const LANES: usize;

    /// The next narrower vector of the same CPU (AVX-512 → AVX2 → AVX2's
    /// 4-lane half, which is SSE2's vector with F16C and FMA),
    /// or `Self` for the narrowest: row tails shorter than a vector go
    /// through it before the last few elements go scalar.
    type Half: Vector;
    /// Whether `mul_add_exact` is one hardware instruction (so that no
    /// cheaper form is worth choosing per row).
    const FMA: bool = false;
    /// Whether `load_partial`, `store_partial`, `load_f16_partial`,
    /// `load_bf16_partial` and `store_bf16_partial` (and, on AVX2's half,
    /// `store_f16_partial`) work in registers (no buffer), cheap enough for
    /// a row's last few columns: SSE2's vector and AVX2's half. AVX-512's
    /// masked forms are `generic::partial_loads`.
    const REGISTER_PARTIAL: bool = false;
    /// Whether the partial loads and stores are masked instructions (a
    /// masked-off lane is never touched), cheap enough for a row's tail in
    /// one vector: the AVX-512 path's vectors, 16 lanes (ZMM) or 8 (YMM,
    /// AVX-512VL). See `generic::partial_loads`.
    const MASKED: bool = false;
    /// Whether the index range check folds with an unsigned integer max
    /// (`Index::all_in_range_by_max`) rather than an OR of compares: the
    /// x86 paths that have `vpmaxud` (AVX2 and AVX-512), where the max
    /// fold of 4096 indices took 77–79 ns against the OR's 197 (AVX2) and
    /// 108 (AVX-512) for u32, 383 vs 466 and 235 vs 280 for u64, 37 vs 97
    /// for u16 (AVX2; Zen 4, best of 50 × 1000 calls in a scratch
    /// program). SSE2 has no unsigned 32-bit max: there the OR took 331 ns
    /// and the max fold 662. NEON and simd128 keep the OR fold (not timed).
    const UNSIGNED_MAX: bool = false;

    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self;
    /// Loads `LANES` f32, unaligned.
    unsafe fn load(p: *const f32) -> Self;
    /// Stores `LANES` f32, unaligned.
    unsafe fn store(self, p: *mut f32);
    /// Loads `LANES` f16 and widens them exactly (NaNs made quiet, payload
    /// kept: `half`'s bits).
    unsafe fn load_f16(p: *const u16) -> Self;
    /// Narrows to f16 (nearest even; a NaN becomes quiet with the top of its
    /// payload, as `half`) and stores `LANES` of them.
    unsafe fn store_f16(self, p: *mut u16);
    /// Loads `LANES` bf16 and widens them exactly (NaNs made quiet, payload
    /// kept: `half`'s bits).
    unsafe fn load_bf16(p: *const u16) -> Self;
    /// Narrows to bf16 (nearest even, as `half::bf16::from_f32`) and stores.
    unsafe fn store_bf16(self, p: *mut u16);

    /// Lane-wise `self + o`.
    unsafe fn add(self, o: Self) -> Self;
    /// Lane-wise `self · o`.
    unsafe fn mul(self, o: Self) -> Self;
    /// Lane-wise `self / o`.
    unsafe fn div(self, o: Self) -> Self;
    /// Lane-wise NaN-propagating maximum, `self` being the accumulator:
    /// NaN if either is NaN, else `x` if `x > self`, else `self`.
    unsafe fn max_nan(self, x: Self) -> Self;
    /// Whether [`Vector::max_or_keep`] and [`Vector::or_nan`] are
    /// overridden, one and two instructions where `max_nan` takes more:
    /// Max bags then pool with `max_or_keep`, note the NaNs they meet with
    /// `or_nan`, and pool again with `max_nan` when there was one.
    const MAX_NAN_LATER: bool = false;
    /// `x` if `x > self`, else `self`: `max_nan` but for a NaN `x`, which
    /// this drops (a NaN `self` stays).
    #[inline(always)]
    unsafe fn max_or_keep(self, x: Self) -> Self {
        // SAFETY: the caller's guarantees, forwarded.
        unsafe { self.max_nan(x) }
    }
    /// The mask `self` with the lanes where `a` or `b` is NaN set (all
    /// bits); `splat(0.0)` is the empty mask.
    #[inline(always)]
    unsafe fn or_nan(self, _a: Self, _b: Self) -> Self {
        self
    }
    /// Whether the mask `self` has a lane set.
    #[inline(always)]
    unsafe fn any_set(self) -> bool {
        false
    }

    /// Hints that the cache line holding `p` will be read soon. Never faults.
    #[inline(always)]
    unsafe fn prefetch(_p: *const u8) {}
    /// As [`Vector::prefetch`], into the level-2 cache only, where the
    /// ISA has such a hint (x86 `prefetcht1`); elsewhere the same as
    /// `prefetch`. For bursts of many lines at once (a whole bag's rows),
    /// which would otherwise queue for the first level's few miss buffers.
    #[inline(always)]
    unsafe fn prefetch_l2(p: *const u8) {
        // SAFETY: the caller's guarantee, as for `prefetch`.
        unsafe { Self::prefetch(p) }
    }

    // ------------------------------------------------ quantized formats
    //
    // The byte loads below widen small integer codes to f32 lanes (exact:
    // every code is an integer below 2^8). The defaults go through a
    // buffer; each ISA overrides the ones its formats need fast.

    /// Lane-wise `self · b + c` rounded once (a fused multiply-add), on
    /// every ISA: the hardware FMA where the path has one, an exact
    /// emulation otherwise. Non-finite operands give what `f32::mul_add`
    /// gives (NaN-ness and infinities).
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self;

    /// Lane-wise `self · b + c` computed in f64 and rounded once to f32: the
    /// fused result whenever the f64 sum is exact, which the caller checks
    /// (row-wise 8-bit rows whose scale and bias are close enough in
    /// magnitude, `format::quantized::sums_exact_in_f64`). The paths without
    /// an FMA override it with that cheap form; the others fuse.
    #[inline(always)]
    unsafe fn mul_add_wide(self, b: Self, c: Self) -> Self {
        // SAFETY: the caller's ISA guarantee, forwarded.
        unsafe { self.mul_add_exact(b, c) }
    }
    /// All lanes the f16 with bits `h`, widened exactly (`half`'s bits,
    /// NaNs made quiet): a block scale of the GGUF formats.
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: the caller's ISA guarantee, forwarded.
        unsafe { Self::splat(crate::format::quantized::f16_bits_to_f32(h)) }
    }
    /// Loads `LANES` bytes, `byte & mask`, each widened to an f32 lane.
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        let mut buf = [0f32; 16];
        // SAFETY: the caller guarantees `p` is valid for `LANES <= 16`
        // reads.
        unsafe {
            for (k, b) in buf.iter_mut().enumerate().take(Self::LANES) {
                *b = (*p.add(k) & mask) as f32;
            }
            Self::load(buf.as_ptr())
        }
    }
    /// Loads `LANES` signed bytes, each widened to an f32 lane.
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        let mut buf = [0f32; 16];
        // SAFETY: as `load_u8_and`.
        unsafe {
            for (k, b) in buf.iter_mut().enumerate().take(Self::LANES) {
                *b = *p.add(k) as i8 as f32;
            }
            Self::load(buf.as_ptr())
        }
    }
    /// Loads `LANES` 4-bit codes from `LANES / 2` bytes, low nibble first
    /// (lane `2i` is byte `i & 15`, lane `2i + 1` is byte `i >> 4`).
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        let mut buf = [0f32; 16];
        // SAFETY: the caller guarantees `p` is valid for `LANES / 2` reads.
        unsafe {
            for (k, b) in buf.iter_mut().enumerate().take(Self::LANES) {
                *b = ((*p.add(k / 2) >> (4 * (k % 2))) & 15) as f32;
            }
            Self::load(buf.as_ptr())
        }
    }
    /// Whether [`Vector::load_u4_scaled`] looks the codes up in a table of
    /// the row's 16 values ([`Vector::u4_table`], one permute a vector)
    /// instead of converting and scaling each code: AVX-512's 16 lanes,
    /// where the table is one register.
    const U4_TABLE: bool = false;
    /// The row's 16 values `scale·q + bias`, `q` = 0..16, one per lane,
    /// each rounded as [`Vector::load_u4_scaled`] rounds it, where
    /// [`Vector::U4_TABLE`] (else unused: `scale`).
    #[inline(always)]
    unsafe fn u4_table(scale: Self, _bias: Self) -> Self {
        scale
    }
    /// `scale·q + bias` (the product exact, one rounding) of the `LANES`
    /// 4-bit codes at `p` (as [`Vector::load_u4`]); `table` is
    /// [`Vector::u4_table`] of the same scale and bias.
    #[inline(always)]
    unsafe fn load_u4_scaled(p: *const u8, scale: Self, bias: Self, _table: Self) -> Self {
        // SAFETY: the caller's guarantee, as for `load_u4`.
        unsafe { scale.mul(Self::load_u4(p)).add(bias) }
    }
    /// Loads `LANES` 2-bit codes from `LANES / 4` bytes, low bits first
    /// (lane `4i + s` is `(byte i >> 2s) & 3`).
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        let mut buf = [0f32; 16];
        // SAFETY: the caller guarantees `p` is valid for `LANES / 4` reads.
        unsafe {
            for (k, b) in buf.iter_mut().enumerate().take(Self::LANES) {
                *b = ((*p.add(k / 4) >> (2 * (k % 4))) & 3) as f32;
            }
            Self::load(buf.as_ptr())
        }
    }

    /// Loads `n < LANES` f32; the other lanes are zero.
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> Self {
        let mut buf = [0f32; 16];
        // SAFETY: the caller guarantees `p` is valid for `n < LANES <= 16`
        // reads; `buf` has room for 16.
        unsafe {
            copy_short(p, buf.as_mut_ptr(), n);
            Self::load(buf.as_ptr())
        }
    }
    /// Stores the first `n < LANES` lanes.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        let mut buf = [0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES lanes; the caller guarantees `p`
        // is valid for `n` writes.
        unsafe {
            self.store(buf.as_mut_ptr());
            copy_short(buf.as_ptr(), p, n);
        }
    }
    /// Loads `n < LANES` f16; the other lanes are zero.
    #[inline(always)]
    unsafe fn load_f16_partial(p: *const u16, n: usize) -> Self {
        let mut buf = [0u16; 16];
        // SAFETY: as `load_partial`, for 2-byte elements.
        unsafe {
            copy_short(p, buf.as_mut_ptr(), n);
            Self::load_f16(buf.as_ptr())
        }
    }
    /// Narrows and stores the first `n < LANES` lanes as f16.
    #[inline(always)]
    unsafe fn store_f16_partial(self, p: *mut u16, n: usize) {
        let mut buf = [0u16; 16];
        // SAFETY: as `store_partial`, for 2-byte elements.
        unsafe {
            self.store_f16(buf.as_mut_ptr());
            copy_short(buf.as_ptr(), p, n);
        }
    }
    /// Loads `n < LANES` bf16; the other lanes are zero.
    #[inline(always)]
    unsafe fn load_bf16_partial(p: *const u16, n: usize) -> Self {
        let mut buf = [0u16; 16];
        // SAFETY: as `load_partial`, for 2-byte elements.
        unsafe {
            copy_short(p, buf.as_mut_ptr(), n);
            Self::load_bf16(buf.as_ptr())
        }
    }
    /// Narrows and stores the first `n < LANES` lanes as bf16.
    #[inline(always)]
    unsafe fn store_bf16_partial(self, p: *mut u16, n: usize) {
        let mut buf = [0u16; 16];
        // SAFETY: as `store_partial`, for 2-byte elements.
        unsafe {
            self.store_bf16(buf.as_mut_ptr());
            copy_short(buf.as_ptr(), p, n);
        }
    }
}

/// Copies `n < 16` elements in pieces of 8, 4, 2 and 1: a variable-length
/// `copy_nonoverlapping` is a call to `memcpy`, which on a row's tail costs
/// more than the row (row-wise 8-bit gather, AVX2, 1000 × 12: 8.5 GiB/s with
/// `memcpy`, 23 with this; 1000 × 100: 41 and 64).
///
/// # Safety
/// `src` is valid for `n` reads and `dst` for `n` writes, not overlapping.
#[inline(always)]
unsafe fn copy_short<T: Copy>(src: *const T, dst: *mut T, n: usize) {
    let mut at = 0;
    // SAFETY: the pieces add up to `n`, so every access is below `n`.
    unsafe {
        if n & 8 != 0 {
            dst.cast::<[T; 8]>()
                .write_unaligned(src.cast::<[T; 8]>().read_unaligned());
            at = 8;
        }
        if n & 4 != 0 {
            dst.add(at)
                .cast::<[T; 4]>()
                .write_unaligned(src.add(at).cast::<[T; 4]>().read_unaligned());
            at += 4;
        }
        if n & 2 != 0 {
            dst.add(at)
                .cast::<[T; 2]>()
                .write_unaligned(src.add(at).cast::<[T; 2]>().read_unaligned());
            at += 2;
        }
        if n & 1 != 0 {
            *dst.add(at) = *src.add(at);
        }
    }
}
