//! Runs the shared workload (`workload.rs`: gather, gather_bags and
//! scatter_add on small static tables) on a Cortex-M4F and reports through
//! Arm semihosting: `checksum 0x…` and `stack used: N bytes` on the host's
//! stdout, then an exit code: 0 when the checksum is `workload::EXPECTED`
//! (what the host computes, `tests/mcu_workload.rs`), 1 when it differs, 2
//! when a kernel call fails, 3 on a fault, 101 on a panic.
//!
//! Made for qemu's mps2-an386 (`link.x` has its memory map), run by
//! `.ci/mcu.sh` as
//! `qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native -kernel ELF`.
//! Without semihosting (or a debugger that serves it) `bkpt 0xab` faults.

#![no_std]
#![no_main]

mod workload;

use core::arch::asm;
use core::panic::PanicInfo;

/// What the reset handler writes over the free stack, so that the words
/// still holding it after the workload were never used.
const PAINT: u32 = 0x5AC3_5AC3;

unsafe extern "C" {
    static mut _sdata: u32;
    static mut _edata: u32;
    static _sidata: u32;
    static mut _sbss: u32;
    static mut _ebss: u32;
    /// The stack's lowest word (the end of .bss) and one past its highest.
    static mut _stack_bottom: u32;
    static mut _stack_top: u32;
}

/// The reset handler: enables the FPU, copies .data, zeroes .bss, paints
/// the free stack, then runs the workload (`main`).
///
/// # Safety
/// Called once, by the hardware, at reset.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    // SAFETY: the CPACR is the Cortex-M4F's System Control Block register
    // at that address; the symbols come from link.x and delimit word-aligned
    // regions of RAM (and .data's load image in flash); nothing else runs
    // yet, and the stack below `sp` is free.
    unsafe {
        // CPACR: full access to CP10 and CP11 (the FPU), then synchronise,
        // before any floating-point instruction can run.
        let cpacr = 0xE000_ED88 as *mut u32;
        cpacr.write_volatile(cpacr.read_volatile() | (0xF << 20));
        asm!("dsb", "isb", options(nostack, preserves_flags));

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
        let sp: usize;
        asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        let mut p = &raw mut _stack_bottom;
        while (p as usize) < sp {
            p.write_volatile(PAINT);
            p = p.add(1);
        }
    }
    main()
}

/// Runs the workload, reports, exits. Kept out of `_start` so that no
/// floating-point instruction can be scheduled before the FPU is enabled.
#[inline(never)]
fn main() -> ! {
    let result = workload::run();
    let used = stack_used();
    let code = match result {
        Ok(sum) => {
            Line::new().str("checksum ").hex(sum).print();
            if sum == workload::EXPECTED {
                0
            } else {
                Line::new()
                    .str("MISMATCH: the host's (workload::EXPECTED) is ")
                    .hex(workload::EXPECTED)
                    .print();
                1
            }
        }
        Err(_) => {
            Line::new().str("error: a kernel call failed").print();
            2
        }
    };
    Line::new()
        .str("stack used: ")
        .dec(used as u32)
        .str(" bytes")
        .print();
    exit(code)
}

/// Bytes of stack the run has touched: from the top down to the lowest word
/// that no longer holds `PAINT`.
fn stack_used() -> usize {
    let top = &raw mut _stack_top;
    let mut p = &raw mut _stack_bottom;
    // SAFETY: [_stack_bottom, _stack_top) is RAM (link.x), word-aligned.
    while p < top && unsafe { p.read_volatile() } == PAINT {
        // SAFETY: still inside that range, or one past it.
        p = unsafe { p.add(1) };
    }
    top as usize - p as usize
}

/// Arm semihosting: operation `op` with parameter `arg` (a value or the
/// address of a parameter block), served by the debugger or emulator.
fn semihost(op: u32, arg: usize) -> i32 {
    let r: i32;
    // SAFETY: `bkpt 0xab` is the semihosting call; it reads the memory
    // `arg` points to (and for these operations writes none) and returns in
    // r0. Under qemu with semihosting enabled it cannot fault.
    unsafe {
        asm!("bkpt 0xab", inout("r0") op => r, in("r1") arg, options(nostack, preserves_flags));
    }
    r
}

const SYS_WRITE0: u32 = 0x04;
const SYS_EXIT: u32 = 0x18;
const SYS_EXIT_EXTENDED: u32 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x2_0026;
const ADP_STOPPED_RUNTIME_ERROR_UNKNOWN: usize = 0x2_0023;

/// Ends the run with exit code `code`: SYS_EXIT_EXTENDED passes it whole;
/// where that is not served, plain SYS_EXIT tells only success or failure.
fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    semihost(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
    let reason = if code == 0 {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUNTIME_ERROR_UNKNOWN
    };
    semihost(SYS_EXIT, reason);
    loop {
        core::hint::spin_loop();
    }
}

/// One line of output, built without `core::fmt` (which would dwarf the
/// kernels in the code size) and written by SYS_WRITE0. Too long a line is
/// cut.
struct Line {
    buf: [u8; 128],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Line {
            buf: [0; 128],
            len: 0,
        }
    }

    fn byte(mut self, b: u8) -> Self {
        // Room is kept for the newline and the terminating NUL.
        if self.len < self.buf.len() - 2 {
            self.buf[self.len] = b;
            self.len += 1;
        }
        self
    }

    fn str(mut self, s: &str) -> Self {
        for &b in s.as_bytes() {
            self = self.byte(b);
        }
        self
    }

    fn hex(mut self, v: u64) -> Self {
        self = self.str("0x");
        for i in (0..16).rev() {
            self = self.byte(b"0123456789abcdef"[(v >> (4 * i)) as usize & 0xF]);
        }
        self
    }

    fn dec(mut self, v: u32) -> Self {
        let mut digits = [0u8; 10];
        let (mut v, mut n) = (v, 0);
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &d in digits[..n].iter().rev() {
            self = self.byte(d);
        }
        self
    }

    fn print(self) {
        let mut s = self.byte(b'\n');
        s.buf[s.len] = 0;
        semihost(SYS_WRITE0, s.buf.as_ptr() as usize);
    }
}

/// Every exception but reset: reports the fault status registers and exits
/// with 3 (no interrupt is enabled, so only a fault can get here).
unsafe extern "C" fn fault() -> ! {
    // SAFETY: CFSR and HFSR, the System Control Block's fault status
    // registers, readable at any time.
    let (cfsr, hfsr) = unsafe {
        (
            (0xE000_ED28 as *const u32).read_volatile(),
            (0xE000_ED2C as *const u32).read_volatile(),
        )
    };
    Line::new()
        .str("fault: CFSR ")
        .hex(cfsr.into())
        .str(", HFSR ")
        .hex(hfsr.into())
        .print();
    exit(3)
}

/// The vector table after the initial stack pointer (link.x puts that
/// first): reset, then NMI, HardFault, MemManage, BusFault, UsageFault, four
/// reserved, SVCall, DebugMonitor, reserved, PendSV and SysTick.
#[unsafe(link_section = ".vector_table.exceptions")]
#[used]
static EXCEPTIONS: [unsafe extern "C" fn() -> !; 15] = [
    _start, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault,
    fault, fault,
];

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let mut line = Line::new().str("panic");
    if let Some(at) = info.location() {
        line = line.str(" at ").str(at.file()).str(":").dec(at.line());
    }
    line.print();
    exit(101)
}
