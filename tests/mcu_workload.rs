//! The workload the Cortex-M4F binary runs under qemu (`.ci/mcu.sh`), run
//! here on the host: its checksum must be `workload::EXPECTED` through the
//! free functions and on every ISA path this CPU has. With the emulator's
//! run (which exits non-zero unless it gets `EXPECTED` too), this proves the
//! MCU computes the host's bits.

#[path = "../ensure_no_std/src/workload.rs"]
mod workload;

use embedding_kernels::{Isa, Kernels};

#[test]
fn host_checksum_is_the_committed_one_on_every_path() {
    let free = workload::run().expect("the workload's inputs are valid");
    let mut report = vec![format!("free functions ({}) 0x{free:016x}", Isa::best())];
    let mut wrong = Vec::new();
    if free != workload::EXPECTED {
        wrong.push("free functions".to_string());
    }
    for isa in Isa::available() {
        let k = Kernels::new(isa).expect("available ISA");
        let sum = workload::run_on(k).expect("the workload's inputs are valid");
        assert!(isa.was_used(), "{isa} was asked for but did not run");
        report.push(format!("{isa} 0x{sum:016x}"));
        if sum != workload::EXPECTED {
            wrong.push(isa.to_string());
        }
    }
    eprintln!("mcu workload checksums: {}", report.join(", "));
    assert!(
        wrong.is_empty(),
        "checksum differs from workload::EXPECTED = 0x{:016x} on: {} ({})",
        workload::EXPECTED,
        wrong.join(", "),
        report.join(", ")
    );
}
