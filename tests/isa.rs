//! The paths themselves: which ones this CPU has, that each one asked for is
//! the one that ran, and that the CI machine has the ones it must.

mod common;

use embedding_kernels::{Isa, Kernels, Table};

#[test]
fn every_available_path_is_exercised() {
    let table = [1.0f32, 2.0, 3.0, 4.0];
    let t = Table::new(&table, 2).unwrap();
    let mut out = [0.0f32; 2];
    for k in common::kernels() {
        k.gather(t, &[1u8], &mut out).unwrap();
        assert_eq!(out, [3.0, 4.0]);
        assert!(
            k.isa().was_used(),
            "{} was asked for but did not run",
            k.isa()
        );
    }
    // Unavailable paths cannot be had, and are reported as skipped above.
    for isa in Isa::ALL {
        assert_eq!(Kernels::new(isa).is_some(), isa.is_available(), "{isa}");
    }
    assert!(Isa::available().any(|i| i == Isa::best()));
    assert!(Isa::Portable.is_available());
}

/// What the CPU reports, checked independently of the crate's own detection:
/// a path the CPU supports must be available, and so run by every test.
#[test]
fn cpu_features_and_available_paths_agree() {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        // With `std` the crate detects at run time; without it, a path is
        // available exactly when the build enables its target features.
        let std = cfg!(feature = "std");
        assert!(Isa::Sse2.is_available());
        let avx2 = if std {
            has!("avx2") && has!("fma") && has!("f16c")
        } else {
            cfg!(all(
                target_feature = "avx2",
                target_feature = "fma",
                target_feature = "f16c"
            ))
        };
        assert_eq!(Isa::Avx2.is_available(), avx2);
        let avx512 = if std {
            avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl")
        } else {
            avx2 && cfg!(all(
                target_feature = "avx512f",
                target_feature = "avx512bw",
                target_feature = "avx512vl"
            ))
        };
        assert_eq!(Isa::Avx512.is_available(), avx512);
        assert_eq!(Isa::Avx512Ymm.is_available(), avx512);
        assert_eq!(Isa::best() == Isa::Avx512, avx512);
    }
    #[cfg(target_arch = "aarch64")]
    {
        assert!(Isa::Neon.is_available());
        assert_eq!(Isa::best(), Isa::Neon);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        assert!(Isa::Simd128.is_available());
    }
}

/// `EMBEDDING_KERNELS_REQUIRE=avx2,sse2` (set by `.ci/run`) makes the suite
/// fail on a machine that lacks a path CI expects to exercise, instead of
/// skipping it quietly.
#[test]
fn required_paths_are_present() {
    let Ok(list) = std::env::var("EMBEDDING_KERNELS_REQUIRE") else {
        return;
    };
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let isa = Isa::ALL.into_iter().find(|i| i.name() == name);
        let isa =
            isa.unwrap_or_else(|| panic!("unknown ISA {name:?} in EMBEDDING_KERNELS_REQUIRE"));
        assert!(
            isa.is_available(),
            "{name} is required but this CPU does not have it"
        );
    }
}
