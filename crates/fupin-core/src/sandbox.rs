//! The hardened rhai engine that runs rule scripts.
//!
//! Built from `Engine::new_raw()` with only the packages rules need (arithmetic, logic,
//! strings, arrays, maps, iteration, maths): no file or module access (`no_module`), no
//! clock (`no_time`), no randomness, no printing, no `eval`, no `sleep`. Operation count,
//! call depth, expression depth, string, array and map sizes are limited, so a runaway
//! script stops with an error instead of hanging or exhausting memory.

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Engine, OptimizationLevel};

use crate::script_api;

/// Resource limits for one rule-set evaluation of one household.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum rhai operations per rule-set run.
    pub max_operations: u64,
    /// Maximum function-call nesting.
    pub max_call_levels: usize,
    /// Maximum expression nesting (global, in functions).
    pub max_expr_depth: (usize, usize),
    /// Maximum string length in characters.
    pub max_string_size: usize,
    /// Maximum array length.
    pub max_array_size: usize,
    /// Maximum map size.
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 200_000,
            max_call_levels: 24,
            max_expr_depth: (64, 48),
            max_string_size: 8_192,
            max_array_size: 4_096,
            max_map_size: 512,
        }
    }
}

/// Builds the sandboxed engine with the household, parameter and verdict API registered.
pub fn hardened_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    for package in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicFnPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(package);
    }
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(256)
        .set_max_functions(256)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        // The interner takes a global lock; without it threads scale (see PERF-NOTES.md).
        .set_max_strings_interned(0)
        .set_optimization_level(OptimizationLevel::Simple);
    for symbol in ["eval", "print", "debug"] {
        engine.disable_symbol(symbol);
    }
    script_api::register(&mut engine);
    engine
}
