//! [`Kernels`]: the ISA token every call goes through.

use crate::arch::{self, Isa};
use crate::element::sealed::{Kind, Sealed};
use crate::{Bags, Element, Error, GatherInto, Index, Pooling, Table, TableMut, validate};
use half::{bf16, f16};

/// The kernels of one instruction-set path.
///
/// A `Kernels` exists only for an ISA the CPU has ([`Kernels::new`] checks),
/// so its methods are safe. [`Kernels::best`] is what the crate's free
/// functions use; a specific path is for tests and benchmarks. Every path
/// gives the same bits.
///
/// ```
/// use embedding_kernels::{Isa, Kernels, Table};
/// let table = Table::new(&[0.0f32, 1.0, 2.0, 3.0], 2)?;
/// let mut out = [0.0f32; 2];
/// for isa in Isa::available() {
///     let k = Kernels::new(isa).expect("available");
///     k.gather(table, &[1u32], &mut out)?;
///     assert_eq!(out, [2.0, 3.0]);
/// }
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kernels {
    isa: Isa,
}

/// Reinterprets a slice of `A` as `B` when both are the same type (the
/// callers match on `Kind` first, so sizes and alignments agree and the
/// cast cannot fail).
#[inline(always)]
fn cast<A: bytemuck::Pod, B: bytemuck::Pod>(s: &[A]) -> &[B] {
    bytemuck::cast_slice(s)
}

#[inline(always)]
fn cast_mut<A: bytemuck::Pod, B: bytemuck::Pod>(s: &mut [A]) -> &mut [B] {
    bytemuck::cast_slice_mut(s)
}

/// Calls `arch::<isa>::$f(args)` for the token's ISA.
macro_rules! dispatch {
    ($isa:expr, $f:ident ( $($arg:expr),* )) => {
        match $isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Kernels` holds an ISA only when the CPU has it
            // (`Kernels::new`, or the promise of `new_unchecked`), and the
            // caller validated the inputs (the contract of `arch::generic`).
            Isa::Sse2 => unsafe { arch::x86_64::sse2::$f($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx2 => unsafe { arch::x86_64::avx2::$f($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx512 => unsafe { arch::x86_64::avx512::$f($($arg),*) },
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            // SAFETY: as above.
            Isa::Neon => unsafe { arch::aarch64::neon::$f($($arg),*) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: as above.
            Isa::Simd128 => unsafe { arch::wasm32::simd128::$f($($arg),*) },
            _ => arch::portable::$f($($arg),*),
        }
    };
}

impl Kernels {
    /// Checks `0 <= i < rows` for every index with this ISA's vector fold;
    /// only on failure is the first bad position searched for.
    #[inline]
    fn check_indices<I: Index>(&self, indices: &[I], rows: usize) -> Result<(), Error> {
        if dispatch!(self.isa, indices_below(indices, rows)) {
            return Ok(());
        }
        validate::first_bad_index(indices, rows)
    }

    /// The kernels of `isa`, or `None` when this CPU cannot run it.
    #[inline]
    pub fn new(isa: Isa) -> Option<Self> {
        isa.is_available().then_some(Kernels { isa })
    }

    /// The kernels of `isa` without checking the CPU.
    ///
    /// # Safety
    /// The CPU must support `isa` ([`Isa::is_available`] would return true);
    /// otherwise calls may execute illegal instructions.
    #[inline]
    pub unsafe fn new_unchecked(isa: Isa) -> Self {
        Kernels { isa }
    }

    /// The fastest path this CPU has ([`Isa::best`]).
    #[inline]
    pub fn best() -> Self {
        Kernels { isa: Isa::best() }
    }

    /// The plain-Rust path, available everywhere.
    #[inline]
    pub fn portable() -> Self {
        Kernels { isa: Isa::Portable }
    }

    /// The ISA these kernels run on.
    #[inline]
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// See [`crate::gather`].
    ///
    /// # Errors
    /// As [`crate::gather`].
    pub fn gather<T, O, I>(
        &self,
        table: Table<'_, T>,
        indices: &[I],
        out: &mut [O],
    ) -> Result<(), Error>
    where
        T: GatherInto<O>,
        O: Element,
        I: Index,
    {
        let dim = table.dim();
        validate::output(out.len(), validate::product(indices.len(), dim))?;
        self.check_indices(indices, table.rows())?;
        let src = table.as_slice();
        match (<T as Sealed>::KIND, <O as Sealed>::KIND) {
            (Kind::F32, Kind::F32) => {
                let (s, o) = (cast::<T, f32>(src), cast_mut::<O, f32>(out));
                dispatch!(self.isa, gather_copy(s, dim, indices, o))
            }
            (Kind::F16, Kind::F16) | (Kind::Bf16, Kind::Bf16) => {
                let (s, o) = (cast::<T, u16>(src), cast_mut::<O, u16>(out));
                dispatch!(self.isa, gather_copy(s, dim, indices, o))
            }
            (Kind::F16, Kind::F32) => {
                let (s, o) = (cast::<T, f16>(src), cast_mut::<O, f32>(out));
                dispatch!(self.isa, gather_widen(s, dim, indices, o))
            }
            (Kind::Bf16, Kind::F32) => {
                let (s, o) = (cast::<T, bf16>(src), cast_mut::<O, f32>(out));
                dispatch!(self.isa, gather_widen(s, dim, indices, o))
            }
            // `GatherInto` is sealed and admits no other pair.
            _ => {}
        }
        Ok(())
    }

    /// See [`crate::gather_bags`].
    ///
    /// # Errors
    /// As [`crate::gather_bags`].
    pub fn gather_bags<T: Element, I: Index>(
        &self,
        table: Table<'_, T>,
        bags: Bags<'_, I>,
        pooling: Pooling,
        out: &mut [f32],
    ) -> Result<(), Error> {
        let dim = table.dim();
        validate::bags(&bags, pooling, dim, out.len())?;
        self.check_indices(bags.indices(), table.rows())?;
        let (idx, off, w) = (bags.indices(), bags.offsets(), bags.weights());
        let src = table.as_slice();
        match <T as Sealed>::KIND {
            Kind::F32 => {
                let s = cast::<T, f32>(src);
                dispatch!(self.isa, bags(s, dim, idx, off, w, pooling, out))
            }
            Kind::F16 => {
                let s = cast::<T, f16>(src);
                dispatch!(self.isa, bags(s, dim, idx, off, w, pooling, out))
            }
            Kind::Bf16 => {
                let s = cast::<T, bf16>(src);
                dispatch!(self.isa, bags(s, dim, idx, off, w, pooling, out))
            }
        }
        Ok(())
    }

    /// See [`crate::scatter_add`].
    ///
    /// # Errors
    /// As [`crate::scatter_add`].
    pub fn scatter_add<T: Element, I: Index>(
        &self,
        table: &mut TableMut<'_, T>,
        indices: &[I],
        rows: &[f32],
        scale: f32,
    ) -> Result<(), Error> {
        let dim = table.dim();
        let expected = validate::product(indices.len(), dim);
        if rows.len() != expected {
            return Err(Error::GradientLength {
                len: rows.len(),
                expected,
            });
        }
        self.check_indices(indices, table.rows())?;
        let t = table.as_mut_slice();
        match <T as Sealed>::KIND {
            Kind::F32 => {
                let t = cast_mut::<T, f32>(t);
                dispatch!(self.isa, scatter_add(t, dim, indices, rows, scale))
            }
            Kind::F16 => {
                let t = cast_mut::<T, f16>(t);
                dispatch!(self.isa, scatter_add(t, dim, indices, rows, scale))
            }
            Kind::Bf16 => {
                let t = cast_mut::<T, bf16>(t);
                dispatch!(self.isa, scatter_add(t, dim, indices, rows, scale))
            }
        }
        Ok(())
    }

    /// Widens `src` into `dst` exactly (a copy for f32).
    ///
    /// # Errors
    /// [`Error::ConvertLength`] if the lengths differ.
    pub fn to_f32<T: Element>(&self, src: &[T], dst: &mut [f32]) -> Result<(), Error> {
        if src.len() != dst.len() {
            return Err(Error::ConvertLength {
                src: src.len(),
                dst: dst.len(),
            });
        }
        match <T as Sealed>::KIND {
            Kind::F32 => dst.copy_from_slice(cast::<T, f32>(src)),
            Kind::F16 => {
                let s = cast::<T, f16>(src);
                dispatch!(self.isa, to_f32(s, dst))
            }
            Kind::Bf16 => {
                let s = cast::<T, bf16>(src);
                dispatch!(self.isa, to_f32(s, dst))
            }
        }
        Ok(())
    }

    /// Narrows `src` into `dst`, rounding to nearest even (a copy for f32).
    ///
    /// # Errors
    /// [`Error::ConvertLength`] if the lengths differ.
    pub fn from_f32<T: Element>(&self, src: &[f32], dst: &mut [T]) -> Result<(), Error> {
        if src.len() != dst.len() {
            return Err(Error::ConvertLength {
                src: src.len(),
                dst: dst.len(),
            });
        }
        match <T as Sealed>::KIND {
            Kind::F32 => cast_mut::<T, f32>(dst).copy_from_slice(src),
            Kind::F16 => {
                let d = cast_mut::<T, f16>(dst);
                dispatch!(self.isa, from_f32(src, d))
            }
            Kind::Bf16 => {
                let d = cast_mut::<T, bf16>(dst);
                dispatch!(self.isa, from_f32(src, d))
            }
        }
        Ok(())
    }
}
