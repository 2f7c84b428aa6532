//! [`Kernels`]: the ISA token every call goes through. Each method checks
//! its input (`crate::validate`), builds a job (`arch::generic`) and runs it
//! on the token's ISA with one dispatch.

use crate::arch::generic::InRange;
use crate::arch::generic::bags::Bags as BagsJob;
use crate::arch::generic::convert::{FromF32, ToF32};
use crate::arch::generic::gather::Gather;
use crate::arch::generic::scatter::ScatterAdd;
use crate::arch::{self, Cpu, Isa, Job};

use crate::format::gather_into;
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
    /// Set for [`Kernels::best`]: calls may run on a narrower path of the
    /// same CPU where the sweep shows it faster for the row width.
    by_width: bool,
}

impl Kernels {
    /// The kernels of `isa`, or `None` when this CPU cannot run it.
    #[inline]
    pub fn new(isa: Isa) -> Option<Self> {
        isa.is_available().then_some(Kernels {
            isa,
            by_width: false,
        })
    }

    /// The kernels of `isa` without checking the CPU.
    ///
    /// # Safety
    /// The CPU must support `isa` ([`Isa::is_available`] would return true);
    /// otherwise calls may execute illegal instructions.
    #[inline]
    pub unsafe fn new_unchecked(isa: Isa) -> Self {
        Kernels {
            isa,
            by_width: false,
        }
    }

    /// The fastest path this CPU has ([`Isa::best`]), as the free functions
    /// use it: a call may run on a narrower path of the same CPU where that
    /// measured faster for its kernel, format and row width (same-type
    /// gathers, f32 scatter-add outside dims 9–15, and the row lengths
    /// each format names, run on AVX2 on an AVX-512 CPU; f32 Sum, Mean and
    /// weighted Sum bags of one column run on SSE2 where AVX2 is the best
    /// path). On Intel CPUs with AVX-512, most calls run on AVX-512's
    /// 256-bit form ([`Isa::Avx512Ymm`]), which measured ahead of both
    /// AVX2 and 512-bit AVX-512 there; the exceptions are measured per
    /// kernel, format and width (the README's performance section lists
    /// them). On AMD Zen 4 (family 0x19 with AVX-512, whose 512-bit
    /// instructions run as two 256-bit halves) bags, same-type gathers of
    /// rows over 8 bytes from tables in cache, and some narrow rows take
    /// the 256-bit form too, and some short rows AVX2, by rules of its own. The CPU's kind is read
    /// once (`cpuid`) and cached. `Kernels::new(isa)` keeps its path
    /// throughout.
    #[inline]
    pub fn best() -> Self {
        Kernels {
            isa: Isa::best(),
            by_width: true,
        }
    }

    /// The plain-Rust path, available everywhere.
    #[inline]
    pub fn portable() -> Self {
        Kernels {
            isa: Isa::Portable,
            by_width: false,
        }
    }

    /// The path for a scatter-add into a table of `T` with rows of `dim`:
    /// on [`Kernels::best`], AVX2 rather than AVX-512 for f32 tables except
    /// at dims 9–15; f16 and bf16 tables stay on AVX-512. Every x86 path
    /// below the best one is available (AVX-512 implies AVX2).
    ///
    /// Evidence (the sweep, `report -- sweep scatter`, Zen 5, × the naive
    /// loop, every row through whole vectors with an overlapping last one):
    /// for f32 tables AVX2 leads AVX-512 from dim 16 (dim 16: 1.75× vs
    /// 1.05×, dim 24: 1.57× vs 1.04×, dim 33: 1.33× vs 1.08×) and at dims
    /// 5–7 (dim 5: 2.06× vs 1.62×), ties at 1–4 and 8 (dim 4: 3.44× vs
    /// 3.62×), and trails at 9–15, where AVX-512 runs the same 8-lane loop
    /// (dim 9: 1.89× vs 1.50×, dim 12: 2.38× vs 1.90×). For f16 tables
    /// AVX-512 leads at every dim (dim 9: 32.3× vs 20.1×, dim 64: 65.8× vs
    /// 47.0×), for bf16 from dim 16 (6.1× vs 2.7× at dim 64) and at dims
    /// 4–7 (dim 5: 2.34× vs 1.86×), within 5% of AVX2 at dims 8–15. No row
    /// goes down to SSE2, which is slower at every dim (f16/bf16 have no
    /// F16C there: software conversions). The AVX-512 path runs the same
    /// 8-lane rows for f32 tables at those dims (`generic::scatter`); in
    /// the build after that change, the AVX2 trampoline still ran dims
    /// 5–7 in 0.77–0.84 of the AVX-512 one's time (the same rows,
    /// compiled in each), so the rule stays.
    ///
    /// On Intel CPUs f16 and bf16 tables take AVX-512's 256-bit form but
    /// where 512 bits measured ahead (`report -- sweep scatter`, Intel
    /// Xeon with AVX-512 FP16, two runs): f16 at dims 9–15 (the 256-bit
    /// form 0.69–0.80× the 512-bit speed) and bf16 from dim 16 (0.59–0.85×).
    /// Elsewhere 512 bits ran at 0.81–0.84× the 256-bit form (bf16 dims
    /// 8–15) and 0.83–0.85× (f16 dims 24, 384–1024). f32 tables keep the
    /// rule above: every x86 path ties there within 2%.
    ///
    /// On AMD Zen 4 (whole sweeps, AMD EPYC family 0x19 model 0x11, the
    /// median over the runs), bf16 tables of under 25 columns but 16 take
    /// the 256-bit form: the 512-bit one ran at 0.78–0.82× it at dims 8–15
    /// and 0.89–0.91× at 17–24 (three sweeps), and led at 16 and from 25
    /// (256 bits 0.75–0.89× there). So do f32 tables of 1–3 columns (AVX2
    /// 0.83–0.96× it over nine sweeps, 0.83 at dim 2: the same scalar
    /// arms, compiled in each trampoline; why they differ was not pinned
    /// down). f16 tables keep 512 bits (AVX2 and 256 bits 0.64–0.89× from
    /// dim 9), f32 tables from 4 columns the rule above (AVX2 ties the
    /// fastest path there).
    #[inline]
    fn for_rows_of<T: Format>(&self, dim: usize) -> Kernels {
        let f32_table = core::mem::size_of::<T>() == 4;
        let isa = match self.isa {
            Isa::Avx512 if self.by_width && !f32_table && arch::cpu() == Cpu::Intel => {
                let zmm = match T::NAME {
                    "f16" => (9..16).contains(&dim),
                    _ => dim >= 16,
                };
                if zmm { Isa::Avx512 } else { Isa::Avx512Ymm }
            }
            Isa::Avx512
                if self.by_width
                    && ((T::NAME == "bf16" && dim < 25 && dim != 16) || (f32_table && dim < 4))
                    && arch::cpu() == Cpu::Zen4 =>
            {
                Isa::Avx512Ymm
            }
            Isa::Avx512 if self.by_width && f32_table && !(9..16).contains(&dim) => Isa::Avx2,
            isa => isa,
        };
        Kernels { isa, ..*self }
    }

    /// The path for a same-type gather (a bit copy of each row): on
    /// [`Kernels::best`], AVX2 rather than AVX-512. Evidence (the sweep,
    /// `report -- sweep "gather f32->f32"`, Zen 5, the report's heap
    /// tables, 16 bytes past a 64-byte boundary): AVX-512 at dim 2 ran at
    /// 7.75× naive against AVX2's 10.2×, at dim 16 at 23.1× against 26.0×
    /// (a 64-byte row that straddles two cache lines is one 64-byte load
    /// that splits, against two 32-byte loads of which one splits), and no
    /// dim was faster on AVX-512. From a 64-byte-aligned table the two tie
    /// (`report experiment`: dim 16, AVX-512 104.8 vs AVX2 103.8 GB/s).
    ///
    /// On Intel CPUs (`report -- sweep`, Intel Xeon with AVX-512 FP16, two
    /// runs): rows of 4 and 8 bytes (f32 dims 1–2, f16 dims 2 and 4) copy
    /// at 1.40–1.58× AVX2's speed on AVX-512's 256-bit form, which they
    /// take; 2-byte rows at 0.45–0.48× (AVX2 keeps them). Rows of 65 to 108
    /// bytes from a table in cache take the portable path, one `memcpy` a
    /// row (glibc's, overlapping 32-byte moves), which ran at 1.07–1.25×
    /// the chunk copies of every SIMD path at f32 dims 17–23, 25–27 and f16
    /// dim 33 (0.98–0.99× at 96 bytes, 0.88–0.95× from 112 bytes, which
    /// keep the chunks). Rows from tables large enough to prefetch take
    /// SSE2's 16-byte moves: `report -- dram` (1 GiB f32 table, dim 64, the
    /// crate against the prefetching yardstick at its own 8 KB distance,
    /// four runs of each build) 0.94–0.99 with them against 0.84–0.93 with
    /// AVX2's 32-byte moves, which split a line at every other load of the
    /// 16-byte-aligned rows; 512-bit and 256-bit AVX-512 moves 0.85–0.91.
    /// Dims 16 and 256 tie (0.93–1.01 either way).
    ///
    /// On AMD Zen 4 (three whole sweeps, AMD EPYC family 0x19 model 0x11,
    /// the median over the runs of each path over the fastest): rows over
    /// 8 bytes from tables in cache take the 256-bit form, which tied or
    /// led at every such width, where AVX2 fell to 0.83–0.90× at rows of
    /// 64–256 bytes (f32 dim 32, f16 dims 32, 64 and 128); rows of up to 8
    /// bytes keep AVX2 (both AVX-512 forms 0.67–0.75× at f32 dims 1–2 and
    /// f16 dims 1, 2 and 4). Tables large enough to prefetch keep AVX2
    /// (`report -- dram` met its targets with it: 0.96–1.77× the
    /// yardstick over three runs).
    #[inline]
    fn for_copies(&self, row_bytes: usize, table_bytes: usize) -> Kernels {
        let isa = match self.isa {
            Isa::Avx512 if self.by_width && arch::cpu() == Cpu::Intel => match row_bytes {
                4 | 8 => Isa::Avx512Ymm,
                65..=108 if table_bytes < crate::arch::generic::PREFETCH_MIN_TABLE_BYTES => {
                    Isa::Portable
                }
                _ if table_bytes >= crate::arch::generic::PREFETCH_MIN_TABLE_BYTES => Isa::Sse2,
                _ => Isa::Avx2,
            },
            Isa::Avx512
                if self.by_width
                    && arch::cpu() == Cpu::Zen4
                    && row_bytes > 8
                    && table_bytes < crate::arch::generic::PREFETCH_MIN_TABLE_BYTES =>
            {
                Isa::Avx512Ymm
            }
            Isa::Avx512 if self.by_width => Isa::Avx2,
            isa => isa,
        };
        Kernels { isa, ..*self }
    }

    /// The path for reading rows of `dim` of format `T` (gathers that
    /// convert, bags): on [`Kernels::best`], AVX2 rather than AVX-512 where
    /// the format's codec measured AVX2 ahead at that dim; and SSE2 rather
    /// than AVX2 for f32 Sum, Mean and weighted Sum bags of one column.
    /// Evidence for the last (Zen 3, the sweep, `report -- sweep bags`):
    /// over 17 runs AVX2 ran at 0.57–0.92× SSE2's speed there (median
    /// 0.90 Sum, 0.93 Mean and weighted Sum), and `dispatched` fell below
    /// 0.9× the fastest path in some; with the rule, `dispatched` takes
    /// 0.89–0.90 of its time (`SWEEP_US=1`, four interleaved runs of each
    /// build, the fastest). Max keeps AVX2 (1.29–1.44× SSE2 there), and
    /// from 2 columns up the two tie (medians 0.94–1.07).
    #[inline]
    fn for_reads_of<T: Format>(
        &self,
        dim: usize,
        bags: Option<Pooling>,
        weighted: bool,
    ) -> Kernels {
        let isa = match self.isa {
            Isa::Avx512 if self.by_width => match arch::cpu() {
                Cpu::Intel => intel_reads::<T>(dim, bags, weighted),
                Cpu::Zen4 => zen4_reads::<T>(dim, bags, weighted),
                Cpu::Other if T::avx2_rows(dim, bags) => Isa::Avx2,
                Cpu::Other => Isa::Avx512,
            },
            Isa::Avx2
                if self.by_width
                    && dim == 1
                    && T::NAME == "f32"
                    && matches!(bags, Some(p) if p != Pooling::Max) =>
            {
                Isa::Sse2
            }
            isa => isa,
        };
        Kernels { isa, ..*self }
    }

    /// The ISA these kernels run on (for [`Kernels::best`], the widest;
    /// a call may run on a narrower one, as `best` says).
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
        let k = if <T as gather_into::Sealed<O>>::COPY {
            // Saturating: a 0-row table may have a dim whose byte size
            // overflows (`tests/fuzz_regressions.rs`).
            self.for_copies(
                table.stride().saturating_mul(core::mem::size_of::<T>()),
                core::mem::size_of_val(table.as_slice()),
            )
        } else {
            self.for_reads_of::<T>(dim, None, false)
        };
        k.run(Gather::<T, O, I> {
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
    pub fn gather_bags<T: Format, I: Index, O: Index>(
        &self,
        table: Table<'_, T>,
        bags: Bags<'_, I, O>,
        pooling: Pooling,
        out: &mut [f32],
    ) -> Result<(), Error> {
        let dim = table.dim();
        validate::bags(&bags, pooling, dim, out.len())?;
        self.in_range(bags.indices(), table.rows())?;
        self.for_reads_of::<T>(dim, Some(pooling), bags.weights().is_some())
            .run(BagsJob::<T, I, O> {
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
        self.for_rows_of::<T>(dim).run(ScatterAdd {
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

/// The path of a read (a gather that converts, `bags` `None`, or a bag of
/// that pooling) of rows of `dim` of format `T` on an Intel CPU with
/// AVX-512: AVX-512 at 256 bits unless the measurements below say
/// otherwise.
///
/// Evidence (the sweep, `report -- sweep`, Intel Xeon with AVX-512 FP16
/// and AMX, each path × the naive loop, ratios within one run): AVX-512
/// at 512 bits ran gathers into f32 at 0.65–0.89× AVX2 (f16 at dims 16–1024,
/// bf16 at 2–7, 16, 32, 64, 127–1000; row-wise 8-bit at 22–1024 and q8_0 at
/// 96–1024 0.77–0.87×), and the 256-bit form at 0.97–1.0× the fastest path
/// at almost every dim, keeping AVX-512's masked tails (f16 dims 9–15:
/// 1.33–1.43× AVX2). The exceptions, where another path led by more than
/// 10%:
/// - bags of float rows: unweighted Sum of rows a multiple of 16 wide,
///   512 bits; every other pooling (weighted Sum, Mean, Max), 256 bits.
///   Here the bag loops' speeds moved with where the sweep's heap put the
///   buffers (the same binary ran Mean at dim 64 on 512 bits at 3.97–4.56×
///   naive in some whole sweeps and 2.22–2.29× in others and in every run
///   of the bags alone; 256 bits stayed within 2.26–3.41×). Over twelve
///   whole sweeps, 512 bits against 256 bits (median over the dims from
///   64 that are a multiple of 16): unweighted Sum 1.31–1.40 in eleven
///   (0.96 in one); Mean 1.31–1.38 in five, 0.67–0.68 in four, 0.94–0.96
///   in three; Max 0.72–0.77 in six, 1.19–1.20 in two, 0.94–0.98 in four;
///   weighted Sum 1.11–1.40 in five, 0.84–0.88 in seven. Each rule takes
///   the path ahead in most runs; a run in another placement can still
///   print shortfalls there;
/// - row-wise 8-bit bags of rows a multiple of 8 wide from 32 columns, and
///   of any width from 129: 512 bits (256 bits 0.67–0.81×);
/// - row-wise 4- and 2-bit rows from 15 columns: 512 bits (256 bits at
///   0.68–0.85× it from dim 31 up, measured on 4-bit gathers), but dim 24
///   (512 bits 0.77–0.79× there);
/// - bf16 gathers at dims 2–7: AVX2 (256-bit AVX-512 0.76–0.86×), and
///   at dims 17–26 but 24: 512 bits (256 bits 0.83–0.90×; from 27 up
///   256 bits led, 512 bits 0.82–0.88× at 30–31);
/// - f16 gathers of one column: AVX2.
fn intel_reads<T: Format>(dim: usize, bags: Option<Pooling>, weighted: bool) -> Isa {
    let zmm = match (T::NAME, bags) {
        ("rowwise4" | "rowwise2", _) => dim >= 15 && dim != 24,
        ("rowwise8", Some(_)) => (dim >= 32 && dim.is_multiple_of(8)) || dim >= 129,
        ("f32" | "f16" | "bf16", Some(p)) => {
            p == Pooling::Sum && !weighted && dim >= 16 && dim.is_multiple_of(16)
        }
        ("bf16", None) => (17..27).contains(&dim) && dim != 24,
        _ => false,
    };
    let avx2 = bags.is_none()
        && ((T::NAME == "bf16" && (2..8).contains(&dim)) || (T::NAME == "f16" && dim == 1));
    if zmm {
        Isa::Avx512
    } else if avx2 {
        Isa::Avx2
    } else {
        Isa::Avx512Ymm
    }
}

/// The path for reading rows of `dim` of format `T` on an AMD Zen 4 CPU
/// (family 0x19 with AVX-512, whose 512-bit instructions run as two
/// 256-bit halves), where it differs from the Zen 5 rule
/// (`Format::avx2_rows`). Evidence: whole sweeps (`report -- sweep`, AMD
/// EPYC family 0x19 model 0x11), each path's speed over the fastest's,
/// the median over the runs: three with the Zen 5 rules, nine with
/// earlier forms of these rules, three with these:
/// - f32, f16 and bf16 bags: 256 bits, which tied the fastest path at
///   almost every dim, where 512 bits ran at 0.71–0.89× it at dims 1–3
///   and 5–31 (weighted Sum 0.65–0.80× at 17–31); but 512 bits for rows a
///   multiple of 16 wide from 32 columns (256 bits 0.84–0.95× at 48, 128,
///   256, 512 and 1024) and for any row from 200 columns (256 bits
///   0.90–0.94× on weighted Sum at 200–1024; 512 bits 0.94–1.0× the
///   fastest on every pooling there); Max of 1 and 3 columns on AVX2 (the
///   fastest or within 5%; 256 bits 0.69–0.72× at 1); unweighted Sum and
///   Mean of 3 columns on SSE2 (within 5% of the fastest in every sweep,
///   256 bits 0.77–0.91×; f32 only: SSE2 converts f16 and bf16 in
///   software); unweighted Sum and Mean (and SqrtN, Mean's loop) of 5–7
///   and 9–15 columns on AVX2, the one path within 10% of the fastest in
///   each of three builds whose code layout differed (nine whole sweeps,
///   three of each build, the median of each: AVX2 0.98–1.00×, 256 bits
///   0.87–0.92×, 512 bits 0.82–0.93×; 256 bits had led at 8). f16 and bf16
///   bags are not in the sweep; they share f32's loop;
/// - row-wise 8-bit bags: 512 bits at widths a multiple of 16, and a
///   multiple of 8 from 200 (AVX2 0.77–0.92× at 16, 48, 64, 96 and
///   256–1024, 0.96–0.98× at 200, 208 and 1000), AVX2 elsewhere (512 bits
///   0.23–0.65× at 9–31 but 24, 0.73–0.93× at 65, 100, 127 and 129; from
///   200, where an earlier rule took 512 bits at every width, 0.82–0.83×
///   at 255 in three whole sweeps, and in one run of
///   `SWEEP_DIMS=200,201,…,1015 report -- sweep "bags sum rowwise8"` at
///   32 widths from 200 to 1015, 0.76–0.98× at every width not a
///   multiple of 8: 0.76–0.78× at 207 and 215, 0.82–0.84× at 255, 263,
///   271 and 303); but 256 bits below 4 columns (1.0× the fastest in
///   each of three builds whose layout differed, AVX2 0.90–0.98×; eleven
///   whole sweeps, the median of each build);
/// - f16 gathers: AVX2 at dims 1–3, the one path within 10% of the
///   fastest in each of three builds whose code layout differed (512 bits
///   0.74–1.0×, 256 bits 0.78–1.0×; `SWEEP_US=1 SWEEP_DIMS=1,2,3,9,12,15
///   report -- sweep gather`, four runs of each build in turn, the
///   fastest: AVX2 6.9–7.6 µs, 512 bits 7.1–9.4, 256 bits 7.0–9.1);
///   256 bits at dims 5–7, 9–15 and from 33 (512 bits
///   0.92–0.94× at 5–15, 0.61–0.88× at 13–15 in the first three sweeps,
///   0.92–0.98× at most dims from 33); 512 bits at 16–32, where it led
///   or tied (256 bits 0.91–0.98× at 17–31 but 24); 256 bits at 4, where
///   `dispatched` on AVX2 ran at 0.85–0.89× the fastest path in five of
///   five sweeps (1.76–1.82 µs against AVX2's own variant's 1.53–1.72)
///   and on 256 bits at 0.98–1.0× (`SWEEP_US=1 SWEEP_DIMS=4,8 report --
///   sweep "gather f16->f32"`, three runs of each build in turn); AVX2 at
///   8 as on Zen 5 (`dispatched` 0.90–0.92× the AVX2 variant with either
///   rule there: its AVX2 and 256-bit runs are the same speed);
/// - bf16 gathers: AVX2 at dims 2, 3 and 5–7 (both AVX-512 forms
///   0.65–0.79×), 256 bits at 4 and 8–15 (512 bits 0.55× at 4, 0.86–0.88×
///   at 9–14), 512 bits elsewhere (256 bits 0.78–0.89× from 17, 0.87× at
///   16 in the second set of sweeps);
/// - row-wise 8-bit gathers: 256 bits at dims 2 and 3 (AVX2 0.76–0.94×,
///   512 bits 0.70–0.98×); 512 bits at 4 and 8 (the fastest in each of
///   the three builds above, AVX2 0.91–0.96×); AVX2 at 5–7 (the fastest
///   in each, 256 bits 0.89–1.0×, where it had led an earlier sweep) and
///   at 9–15 as on Zen 5;
/// - row-wise 4- and 2-bit gathers (2-bit not in the sweep; the same
///   loop): 256 bits below 9 columns but 4 (512 bits 0.57–0.67× at 4 and
///   8), AVX2 at 4 and 24 as on Zen 5, 512 bits elsewhere.
///
/// Every other format and shape takes the Zen 5 rule.
fn zen4_reads<T: Format>(dim: usize, bags: Option<Pooling>, weighted: bool) -> Isa {
    let zen5 = if T::avx2_rows(dim, bags) {
        Isa::Avx2
    } else {
        Isa::Avx512
    };
    match (T::NAME, bags) {
        ("f32" | "f16" | "bf16", Some(p)) => match dim {
            200.. => Isa::Avx512,
            32.. if dim.is_multiple_of(16) => Isa::Avx512,
            1 | 3 if p == Pooling::Max => Isa::Avx2,
            3 if !weighted && T::NAME == "f32" => Isa::Sse2,
            5..=7 | 9..=15 if p != Pooling::Max && !weighted => Isa::Avx2,
            _ => Isa::Avx512Ymm,
        },
        ("rowwise8", Some(_))
            if dim.is_multiple_of(16) || (dim >= 200 && dim.is_multiple_of(8)) =>
        {
            Isa::Avx512
        }
        ("rowwise8", Some(_)) if dim < 4 => Isa::Avx512Ymm,
        ("rowwise8", Some(_)) => Isa::Avx2,
        ("f16", None) if dim < 4 => Isa::Avx2,
        ("f16", None) if dim == 4 => Isa::Avx512Ymm,
        ("f16", None) if matches!(dim, 5..=7 | 9..=15 | 33..) => Isa::Avx512Ymm,
        ("bf16", None) => match dim {
            2 | 3 | 5..=7 => Isa::Avx2,
            4 | 8..=15 => Isa::Avx512Ymm,
            _ => Isa::Avx512,
        },
        ("rowwise8", None) if matches!(dim, 2 | 3) => Isa::Avx512Ymm,
        ("rowwise8", None) if matches!(dim, 4 | 8) => Isa::Avx512,
        ("rowwise4" | "rowwise2", None) if dim < 9 && dim != 4 => Isa::Avx512Ymm,
        _ => zen5,
    }
}
