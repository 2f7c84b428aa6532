//! Calls gather (f32 and f16 → f32), gather_bags and scatter_add on small
//! static tables, through `black_box` so that nothing is optimised away.
//! Runs on a Cortex-M4F as is: `_start` is the reset handler.

#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use embedding_kernels::{Bags, Pooling, Table, TableMut, f16, gather, gather_bags, scatter_add};

const DIM: usize = 8;
const ROWS: usize = 16;

static W: [f32; ROWS * DIM] = {
    let mut w = [0.0f32; ROWS * DIM];
    let mut i = 0;
    while i < w.len() {
        w[i] = i as f32 * 0.25 - 8.0;
        i += 1;
    }
    w
};

static W16: [f16; ROWS * DIM] = {
    let mut w = [f16::ZERO; ROWS * DIM];
    let mut i = 0;
    while i < w.len() {
        w[i] = f16::from_f32_const(i as f32 * 0.25 - 8.0);
        i += 1;
    }
    w
};

static IDS: [u32; 6] = [3, 0, 15, 7, 7, 1];
static OFFSETS: [u32; 4] = [0, 2, 5, 6];

/// The kernels, kept out of `_start` so that no floating-point instruction
/// runs before the FPU is enabled. Returns a checksum of the outputs.
#[inline(never)]
fn run() -> u32 {
    let ids = black_box(&IDS[..]);
    let mut out = [0.0f32; 6 * DIM];
    let mut sum = 0u32;
    let mut fold = |s: &[f32]| {
        for &x in black_box(s) {
            sum = sum.rotate_left(5) ^ x.to_bits();
        }
    };

    if let Ok(t) = Table::new(black_box(&W[..]), DIM) {
        if gather(t, ids, &mut out).is_ok() {
            fold(&out);
        }
        let mut pooled = [0.0f32; 3 * DIM];
        let bags = Bags::new(ids, black_box(&OFFSETS[..]));
        if gather_bags(t, bags, black_box(Pooling::Mean), &mut pooled).is_ok() {
            fold(&pooled);
        }
    }
    if let Ok(t16) = Table::new(black_box(&W16[..]), DIM)
        && gather(t16, ids, &mut out).is_ok()
    {
        fold(&out);
    }
    let mut w = W;
    let grad = [1.0f32; 6 * DIM];
    if let Ok(mut t) = TableMut::new(black_box(&mut w[..]), DIM)
        && scatter_add(&mut t, ids, black_box(&grad[..]), black_box(-0.5)).is_ok()
    {
        fold(&w);
    }
    sum
}

/// The reset handler: copies .data, zeroes .bss, enables the FPU, runs the
/// kernels and parks.
///
/// # Safety
/// Called once, by the hardware, at reset.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    unsafe extern "C" {
        static mut _sdata: u32;
        static mut _edata: u32;
        static _sidata: u32;
        static mut _sbss: u32;
        static mut _ebss: u32;
    }
    // SAFETY: the symbols come from link.x and delimit word-aligned regions
    // of RAM (and their load image in flash); nothing else runs yet.
    unsafe {
        let (mut d, mut s) = (&raw mut _sdata, &raw const _sidata);
        while d < &raw mut _edata {
            d.write_volatile(s.read());
            d = d.add(1);
            s = s.add(1);
        }
        let mut b = &raw mut _sbss;
        while b < &raw mut _ebss {
            b.write_volatile(0);
            b = b.add(1);
        }
        // CPACR: full access to CP10 and CP11 (the FPU), then synchronise.
        let cpacr = 0xE000_ED88 as *mut u32;
        cpacr.write_volatile(cpacr.read_volatile() | (0xF << 20));
        core::arch::asm!("dsb", "isb", options(nostack, preserves_flags));
    }
    black_box(run());
    loop {
        core::hint::spin_loop();
    }
}

#[unsafe(link_section = ".vector_table.reset")]
#[used]
static RESET: unsafe extern "C" fn() -> ! = _start;

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
