//! NEON: 4 f32 lanes. f16 widens with FCVTL (`vcvt_f32_f16`) and narrows
//! with FCVTN (`vcvt_f16_f32`, the FPCR rounding mode: nearest even unless a
//! program changes it), plain Armv8.0, so Cortex-A53 and A72 are served
//! without the fp16 extension; bf16 with integer shifts. Rows are
//! prefetched with `prfm` (off under Miri, which cannot run inline assembly).

use core::arch::aarch64::*;

use crate::arch::Job;
use crate::arch::vector::Vector;

/// Four f32 lanes in a NEON register.
#[derive(Clone, Copy)]
pub(crate) struct V(float32x4_t);

// SAFETY (every method below): the `Vector` contract: NEON is enabled (the
// target baseline, named by the trampoline too), and the pointers are valid for
// the lanes read or written; NEON loads and stores have no alignment needs.
impl Vector for V {
    const LANES: usize = 4;
    type Half = V;
    const FMA: bool = true;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { V(vdupq_n_f32(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { V(vld1q_f32(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above; FCVTL widens exactly.
        unsafe { V(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)))) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        // SAFETY: see above; FCVTN rounds by FPCR.RMode, nearest even by default.
        unsafe { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(self.0))) }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; bf16 bits are the top half of the f32 bits.
        // NaN comes out quiet, as from `half::bf16::to_f32`.
        unsafe {
            let x = vshll_n_u16::<16>(vld1_u16(p));
            let nan = vcgtq_u32(
                vandq_u32(x, vdupq_n_u32(0x7fff_ffff)),
                vdupq_n_u32(0x7f80_0000),
            );
            let x = vorrq_u32(x, vandq_u32(nan, vdupq_n_u32(0x0040_0000)));
            V(vreinterpretq_f32_u32(x))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above. Nearest even as `half::bf16::from_f32`; a NaN
        // keeps its top bits, made quiet.
        unsafe {
            let x = vreinterpretq_u32_f32(self.0);
            let abs = vandq_u32(x, vdupq_n_u32(0x7fff_ffff));
            let nan = vcgtq_u32(abs, vdupq_n_u32(0x7f80_0000));
            let hi = vshrq_n_u32::<16>(x);
            let lsb = vandq_u32(hi, vdupq_n_u32(1));
            let rounded = vshrq_n_u32::<16>(vaddq_u32(vaddq_u32(x, vdupq_n_u32(0x7fff)), lsb));
            let quiet = vorrq_u32(hi, vdupq_n_u32(0x40));
            vst1_u16(p, vmovn_u32(vbslq_u32(nan, quiet, rounded)))
        }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(vaddq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(vmulq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(vdivq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // SAFETY: see above. Not FMAX, which orders -0 below +0: the
        // portable rule keeps the accumulator on ties. `x > acc ? x : acc`
        // keeps a NaN accumulator; a NaN `x` is selected after.
        unsafe {
            let m = vbslq_f32(vcgtq_f32(x.0, self.0), x.0, self.0);
            let nan = vmvnq_u32(vceqq_f32(x.0, x.0));
            V(vbslq_f32(nan, x.0, m))
        }
    }
    #[inline(always)]
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self {
        // SAFETY: see above; FMLA rounds once.
        unsafe { V(vfmaq_f32(c.0, self.0, b.0)) }
    }
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: see above; FCVTL widens exactly (NaNs made quiet).
        unsafe { V(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h)))) }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above; 4 bytes are read.
        unsafe {
            let x = vreinterpret_u8_u32(vdup_n_u32(p.cast::<u32>().read_unaligned()));
            let x = vmovl_u8(vand_u8(x, vdup_n_u8(mask)));
            V(vcvtq_f32_u32(vmovl_u16(vget_low_u16(x))))
        }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above; 4 bytes are read.
        unsafe {
            let x = vreinterpret_s8_u32(vdup_n_u32(p.cast::<u32>().read_unaligned()));
            V(vcvtq_f32_s32(vmovl_s16(vget_low_s16(vmovl_s8(x)))))
        }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above; 2 bytes are read, each into two lanes.
        unsafe {
            let x = vcombine_u32(vdup_n_u32(*p as u32), vdup_n_u32(*p.add(1) as u32));
            let sh = vcombine_s32(
                vcreate_s32(0xffff_fffc_0000_0000),
                vcreate_s32(0xffff_fffc_0000_0000),
            );
            V(vcvtq_f32_u32(vandq_u32(vshlq_u32(x, sh), vdupq_n_u32(15))))
        }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above; 1 byte is read, into four lanes.
        unsafe {
            let x = vdupq_n_u32(*p as u32);
            // Right shifts by 0, 2, 4, 6 (negative left shifts).
            let sh = vcombine_s32(
                vcreate_s32(0xffff_fffe_0000_0000),
                vcreate_s32(0xffff_fffa_ffff_fffc),
            );
            V(vcvtq_f32_u32(vandq_u32(vshlq_u32(x, sh), vdupq_n_u32(3))))
        }
    }
    #[inline(always)]
    unsafe fn prefetch(_p: *const u8) {
        #[cfg(not(miri))]
        // SAFETY: PRFM is a hint: it never faults and writes nothing.
        unsafe {
            core::arch::asm!(
                "prfm pldl1keep, [{0}]",
                in(reg) _p,
                options(nostack, preserves_flags, readonly)
            )
        }
    }
}

/// The trampoline: runs `job` with NEON enabled, its body
/// monomorphised for this path's [`V`].
///
/// # Safety
/// The CPU has NEON; the job's inputs were validated.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn run<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Neon);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<V>() }
}
