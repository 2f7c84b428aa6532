//! [`Kernels`]: the ISA token every call goes through. Each method checks
//! its input (`crate::validate`), builds a job (`arch::generic`) and runs it
//! on the token's ISA with one dispatch.

use crate::arch::generic::InRange;
use crate::arch::generic::bags::Bags as BagsJob;
use crate::arch::generic::convert::{FromF32, ToF32};
use crate::arch::generic::gather::Gather;
use crate::arch::generic::scatter::ScatterAdd;
use crate::arch::{self, Isa, Job};

use crate::{Bags, Element, Error, Format, GatherInto, Index, Pooling, Table, TableMut, validate};

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

impl Kernels {
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

    /// Runs a job whose inputs the caller validated, on this token's ISA.
    #[inline(always)]
    fn run<J: Job>(&self, job: J) -> J::Output {
        // SAFETY: a `Kernels` holds an ISA only when the CPU has it
        // (`Kernels::new`, or the promise of `new_unchecked`); every caller
        // below validates the job's inputs first.
        unsafe { arch::run(self.isa, job) }
    }

    /// Checks `0 <= i < rows` for every index with this ISA's vector fold;
    /// only on failure is the first bad position searched for.
    #[inline]
    fn in_range<I: Index>(&self, indices: &[I], rows: usize) -> Result<(), Error> {
        if self.run(InRange { indices, rows }) {
            return Ok(());
        }
        validate::first_out_of_range(indices, rows)
    }

    /// See [`crate::gather`].
    ///
    /// # Errors
    /// As [`crate::gather`].
    #[inline]
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
        self.in_range(indices, table.rows())?;
        self.run(Gather::<T, O, I> {
            table: table.as_slice(),
            stride: table.stride(),
            dim,
            indices,
            out,
        });
        Ok(())
    }

    /// See [`crate::gather_bags`].
    ///
    /// # Errors
    /// As [`crate::gather_bags`].
    #[inline]
    pub fn gather_bags<T: Format, I: Index>(
        &self,
        table: Table<'_, T>,
        bags: Bags<'_, I>,
        pooling: Pooling,
        out: &mut [f32],
    ) -> Result<(), Error> {
        let dim = table.dim();
        validate::bags(&bags, pooling, dim, out.len())?;
        self.in_range(bags.indices(), table.rows())?;
        self.run(BagsJob::<T, I> {
            table: table.as_slice(),
            stride: table.stride(),
            dim,
            indices: bags.indices(),
            offsets: bags.offsets(),
            weights: bags.weights(),
            pooling,
            out,
        });
        Ok(())
    }

    /// See [`crate::scatter_add`].
    ///
    /// # Errors
    /// As [`crate::scatter_add`].
    #[inline]
    pub fn scatter_add<T: Element, I: Index>(
        &self,
        table: &mut TableMut<'_, T>,
        indices: &[I],
        grad: &[f32],
        scale: f32,
    ) -> Result<(), Error> {
        let dim = table.dim();
        validate::gradient(grad.len(), indices.len(), dim)?;
        self.in_range(indices, table.rows())?;
        self.run(ScatterAdd {
            table: table.as_mut_slice(),
            dim,
            indices,
            grad,
            scale,
        });
        Ok(())
    }

    /// Widens `src` into `dst` exactly (a copy for f32).
    ///
    /// # Errors
    /// [`Error::ConvertLength`] if the lengths differ.
    #[inline]
    pub fn to_f32<T: Element>(&self, src: &[T], dst: &mut [f32]) -> Result<(), Error> {
        validate::conversion(src.len(), dst.len())?;
        self.run(ToF32 { src, dst });
        Ok(())
    }

    /// Narrows `src` into `dst`, rounding to nearest even (a copy for f32).
    ///
    /// # Errors
    /// [`Error::ConvertLength`] if the lengths differ.
    #[inline]
    pub fn from_f32<T: Element>(&self, src: &[f32], dst: &mut [T]) -> Result<(), Error> {
        validate::conversion(src.len(), dst.len())?;
        self.run(FromF32 { src, dst });
        Ok(())
    }
}
