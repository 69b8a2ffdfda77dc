//! Arithmetic of specialised code evaluated as one expression over plain numbers.
//!
//! A score-like function (the 全旗大排序 score) is a chain of `+ - * /` and `min` / `max`
//! over facts, variables and constants: `s + 20 * (h.size - h.labor_able - h.labor_unknown)
//! / h.size`. Compiled node by node, every operator was a closure called indirectly that
//! passed a 24-byte value through memory and dropped its operands. Here the whole
//! arithmetic subtree is one [`NumExpr`], evaluated by a recursive match over [`Num`], which
//! is `Copy`: nothing to drop, no string to check.
//!
//! Every operator is [`value::numeric`](super::value::numeric), the one the general path
//! uses for numbers. An operand that is not a number (a string to concatenate, `()`) or
//! an operation that gives no number (overflow, division by zero, `min` of an integer and a
//! decimal) sends the node to the general code, which gives rhai's answer or gives up.
//! The expression reads nothing but variables, facts and constants, so running it again
//! there changes nothing.

use super::exec::Machine;
use super::lower::{Builtin, Node};
use super::syntax::BinOp;
use super::lower::{Inst, Test};
use super::value::{Bail, Num, Val, num_compare, numeric};
use crate::facts::round_fen;
use crate::fields::{Field, HouseholdField};

/// An arithmetic subtree of specialised code.
#[derive(Debug)]
pub(crate) enum NumExpr {
    Const(Num),
    Local(usize),
    Field(HouseholdField),
    /// This year's events of one kind: count, or amount when `true`.
    Event(usize, bool),
    /// `+ - * / %`.
    Arith(BinOp, Box<NumExpr>, Box<NumExpr>),
    /// `min(x, y)` when `true`, else `max(x, y)`.
    Extreme(bool, Box<NumExpr>, Box<NumExpr>),
}

impl NumExpr {
    /// The node as one arithmetic expression, when it is an operator or `min` / `max`
    /// whose operands are all arithmetic, variables, facts, event totals or numbers.
    pub(crate) fn of(node: &Node) -> Option<NumExpr> {
        match node {
            Node::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem), x, y) => {
                Some(NumExpr::Arith(*op, Box::new(Self::operand(x)?), Box::new(Self::operand(y)?)))
            }
            Node::Builtin(b @ (Builtin::Min | Builtin::Max), args) if args.len() == 2 => {
                Some(NumExpr::Extreme(*b == Builtin::Min, Box::new(Self::operand(&args[0])?), Box::new(Self::operand(&args[1])?)))
            }
            _ => None,
        }
    }

    pub(super) fn operand(node: &Node) -> Option<NumExpr> {
        match node {
            Node::Const(Val::Int(i)) => Some(NumExpr::Const(Num::Int(*i))),
            Node::Const(Val::Dec(d)) => Some(NumExpr::Const(Num::Dec(*d))),
            Node::Local(slot) => Some(NumExpr::Local(*slot)),
            Node::Field(read) => Some(NumExpr::Field(read)),
            Node::Event(i, amount) => Some(NumExpr::Event(*i, *amount)),
            other => Self::of(other),
        }
    }

    /// The number this expression gives over the frame's variables; `None` where the
    /// general code must decide.
    pub(crate) fn eval(&self, m: &Machine<'_>) -> Option<Num> {
        self.eval_with(m, &|slot| m.local(slot).num())
    }

    /// The number this expression gives with variables read by `local`.
    fn eval_with(&self, m: &Machine<'_>, local: &impl Fn(usize) -> Option<Num>) -> Option<Num> {
        match self {
            NumExpr::Const(n) => Some(*n),
            NumExpr::Local(slot) => local(*slot),
            NumExpr::Field(read) => match read.get(m.facts) {
                Field::Int(i) => Some(Num::Int(i)),
                Field::Dec(d) => Some(Num::Dec(d)),
                _ => None,
            },
            NumExpr::Event(i, amount) => {
                let e = m.event_total(*i).ok()?;
                Some(if *amount { Num::Dec(e.amount) } else { Num::Int(e.count) })
            }
            NumExpr::Arith(op, x, y) => numeric(*op, x.eval_with(m, local)?, y.eval_with(m, local)?),
            NumExpr::Extreme(min, x, y) => extreme(*min, x.eval_with(m, local)?, y.eval_with(m, local)?),
        }
    }
}

/// A function of specialised code that only computes one number from facts (the
/// 全旗大排序 score): `let` statements of arithmetic, `if`s on household tests and on
/// comparisons of numbers, and a last value that is a number or `yuan(…)` of one.
///
/// It runs over its own numbers instead of the frame's values, statement after statement as
/// the closure code would, and is charged the same statements, at the end. Anything it does
/// not settle (a variable that is not a number, a test that gives up) sends the call to the
/// closure code from the start; the function has no other effect, so nothing is done twice.
#[derive(Debug)]
pub(crate) struct NumFunc {
    pub(super) body: Vec<NumStmt>,
    pub(super) value: NumValue,
}

/// Most variables of a [`NumFunc`] (kept on the native stack).
pub(super) const MAX_SLOTS: usize = 16;

#[derive(Debug)]
pub(super) enum NumStmt {
    /// `let x = …` (and an assignment the specialiser made a `let`).
    Let(usize, NumExpr),
    /// `if … { … } else { … }`, its branches' values unused.
    If(NumCond, Vec<NumStmt>, Vec<NumStmt>),
    /// A statement without effect (`()`).
    Nothing,
}

#[derive(Debug)]
pub(super) enum NumCond {
    Test(Test),
    /// `<`, `<=`, `>`, `>=`, `==`, `!=` between numbers.
    Compare(BinOp, NumExpr, NumExpr),
}

#[derive(Debug)]
pub(super) enum NumValue {
    Number(NumExpr),
    /// `yuan(x)`: rounded to the fen.
    Yuan(NumExpr),
}

impl NumFunc {
    /// The function whose body is `body`, when it is of that form.
    pub(crate) fn of(body: &[Inst], slots: usize) -> Option<NumFunc> {
        let (last, init) = body.split_last()?;
        let Inst::Eval(last) = last else { return None };
        let value = match last {
            Node::Builtin(Builtin::Yuan, args) if args.len() == 1 => NumValue::Yuan(NumExpr::operand(&args[0])?),
            other => NumValue::Number(NumExpr::operand(other)?),
        };
        (slots <= MAX_SLOTS).then_some(())?;
        Some(NumFunc { body: statements(init)?, value })
    }

    /// Runs the function; `None` when the closure code must.
    pub(crate) fn run(&self, m: &mut Machine<'_>) -> Option<Result<Val, Bail>> {
        let mut locals = [None; MAX_SLOTS];
        // Every statement is charged one operation, the last one too.
        let mut ticks = 1;
        run_block(&self.body, m, &mut locals, &mut ticks)?;
        let local = |slot: usize| locals.get(slot).copied().flatten();
        let value = match &self.value {
            NumValue::Number(x) => Val::from(x.eval_with(m, &local)?),
            NumValue::Yuan(x) => match x.eval_with(m, &local)? {
                Num::Dec(d) => Val::Dec(round_fen(d)),
                Num::Int(_) => return None,
            },
        };
        Some(m.charge(ticks).map(|()| value))
    }
}

fn statements(block: &[Inst]) -> Option<Vec<NumStmt>> {
    block
        .iter()
        .map(|inst| match inst {
            Inst::Let(slot, node) => Some(NumStmt::Let(*slot, NumExpr::operand(node)?)),
            Inst::Eval(Node::Const(Val::Unit)) => Some(NumStmt::Nothing),
            Inst::Eval(Node::If(c, then, otherwise)) => Some(NumStmt::If(condition(c)?, statements(then)?, statements(otherwise)?)),
            _ => None,
        })
        .collect()
}

fn condition(node: &Node) -> Option<NumCond> {
    match node {
        Node::Test(t) => Some(NumCond::Test((**t).clone())),
        Node::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), x, y) => {
            Some(NumCond::Compare(*op, NumExpr::operand(x)?, NumExpr::operand(y)?))
        }
        _ => None,
    }
}

fn run_block(block: &[NumStmt], m: &mut Machine<'_>, locals: &mut [Option<Num>], ticks: &mut u64) -> Option<()> {
    for stmt in block {
        *ticks += 1;
        match stmt {
            NumStmt::Let(slot, x) => {
                let local = |slot: usize| locals.get(slot).copied().flatten();
                let v = x.eval_with(m, &local)?;
                *locals.get_mut(*slot)? = Some(v);
            }
            NumStmt::If(c, then, otherwise) => {
                let local = |slot: usize| locals.get(slot).copied().flatten();
                let holds = match c {
                    NumCond::Test(t) => m.test(t).ok()?,
                    NumCond::Compare(op, x, y) => num_compare(*op, x.eval_with(m, &local)?, y.eval_with(m, &local)?),
                };
                run_block(if holds { then } else { otherwise }, m, locals, ticks)?;
            }
            NumStmt::Nothing => {}
        }
    }
    Some(())
}

/// `min` / `max` as the built-in gives them: of two integers or two decimals only.
pub(crate) fn extreme(min: bool, x: Num, y: Num) -> Option<Num> {
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => Some(Num::Int(if min { x.min(y) } else { x.max(y) })),
        (Num::Dec(x), Num::Dec(y)) => Some(Num::Dec(if min { x.min(y) } else { x.max(y) })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::super::compile::expr;
    use super::super::exec::Machine;
    use super::super::lower::{Builtin, Node};
    use super::super::syntax::BinOp;
    use super::super::value::Val;
    use super::{NumExpr, NumFunc};
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    fn field(name: &str) -> Node {
        Node::Field(crate::fields::HOUSEHOLD_FIELDS.into_iter().find(|f| f.name == name).expect("a household field"))
    }

    fn bin(op: BinOp, x: Node, y: Node) -> Node {
        Node::Bin(op, Box::new(x), Box::new(y))
    }

    /// The parameters in force for the first generated household, and its facts.
    fn first_household() -> (std::sync::Arc<crate::params::Resolved>, crate::facts::Facts) {
        let engine = crate::Engine::embedded().unwrap();
        let h = Generator::new(GenOptions::default()).next().unwrap();
        let params = engine.ruleset().params.resolve(h.year, h.region.code.as_deref());
        let facts = crate::facts::Facts::derive(&h, &params);
        (params, facts)
    }

    /// Arithmetic compiled as one expression gives what the tree walker (which defines every
    /// node) gives, for every pair of kinds, and gives up where it does: overflow, division
    /// by zero, `min` of an integer and a decimal; strings still concatenate.
    #[test]
    fn arithmetic_as_one_expression_is_the_walkers() {
        let (params, facts) = first_household();
        let limits = Limits::default();
        let values = [
            Val::Unit,
            Val::Bool(true),
            Val::Int(0),
            Val::Int(7),
            Val::Int(-3),
            Val::Int(i64::MAX),
            Val::Dec(Decimal::ZERO),
            Val::Dec(Decimal::new(12345, 2)),
            Val::Dec(Decimal::MAX),
            Val::Dec(Decimal::new(1, 28)),
            Val::str("文"),
        ];
        let ops = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Rem];
        let mut shapes: Vec<Node> = Vec::new();
        for op in ops {
            shapes.push(bin(op, Node::Local(0), Node::Local(1)));
            shapes.push(bin(op, Node::Local(0), bin(BinOp::Mul, Node::Local(1), Node::Const(Val::Dec(Decimal::new(15, 1))))));
            shapes.push(bin(op, field("pci"), bin(BinOp::Sub, Node::Local(1), field("size"))));
            shapes.push(bin(op, Node::Event(0, true), Node::Local(0)));
        }
        for b in [Builtin::Min, Builtin::Max] {
            shapes.push(Node::Builtin(b, vec![Node::Local(0), Node::Local(1)]));
            shapes.push(Node::Builtin(b, vec![bin(BinOp::Add, Node::Local(0), Node::Const(Val::Int(1))), Node::Local(1)]));
        }
        let (mut numbers, mut general) = (0, 0);
        for shape in &shapes {
            assert!(NumExpr::of(shape).is_some(), "{shape:?}");
            let compiled = expr(shape);
            for x in &values {
                for y in &values {
                    let mut m = Machine::new(&facts, &params, &[], &limits);
                    m.push(x.clone());
                    m.push(y.clone());
                    let walked = format!("{:?}", m.eval(shape).map_err(|_| "gives up"));
                    let numeric = NumExpr::of(shape).unwrap().eval(&m);
                    let got = format!("{:?}", compiled(&mut m).map_err(|_| "gives up"));
                    assert_eq!(got, walked, "{shape:?} with {x:?}, {y:?}");
                    match numeric {
                        Some(n) => {
                            numbers += 1;
                            assert_eq!(format!("{:?}", Ok::<Val, &str>(Val::from(n))), walked);
                        }
                        None => general += 1,
                    }
                }
            }
        }
        // Both ways were taken: numbers settled in one expression, the rest by the general
        // code.
        assert!(numbers > 300 && general > 300, "{numbers} {general}");
    }

    /// A function that only computes a number (the shipped 全旗大排序 score) gives over
    /// numbers alone what its closure code gives, and is charged the same operations: on
    /// generated households of several years, with ample and with tiny operation budgets.
    #[test]
    fn a_function_over_numbers_is_its_closure_code() {
        use super::super::compile::{functions, functions_node_by_node};
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let (mut runs, mut bails) = (0, 0);
        for year in [2016, 2020, 2024] {
            let households: Vec<crate::Household> = Generator::new(GenOptions { seed: year as u64, year, ..GenOptions::default() }).take(60).collect();
            for operations in [200_000, 10, 14, 18, 22] {
                let limits = Limits { max_operations: operations, ..Limits::default() };
                for h in &households {
                    let params = rules.params.resolve(h.year, h.region.code.as_deref());
                    let facts = crate::facts::Facts::derive(h, &params);
                    let made = rules.plan.specialised(&params, &limits);
                    for set in made.outcomes.iter().chain(&made.full).flatten() {
                        let (numeric, general) = (functions(&set.funcs), functions_node_by_node(&set.funcs));
                        for (f, func) in set.funcs.iter().enumerate() {
                            if func.as_ref().and_then(|func| NumFunc::of(&func.body, func.slots)).is_none() {
                                continue;
                            }
                            let run = |compiled| {
                                let mut m = Machine::new(&facts, &params, &set.funcs, &limits).with_compiled(compiled, &[]);
                                let out = m.call_compiled_with(f, [Val::Household, Val::Params]);
                                (format!("{out:?}"), m.budget())
                            };
                            let (got, want) = (run(&numeric), run(&general));
                            // After giving up the machine is dropped: its budget is not compared.
                            let (got, want) = if got.0.starts_with("Err") { (got.0, want.0.clone()) } else { (format!("{got:?}"), format!("{want:?}")) };
                            assert_eq!(got, want, "household {} with {operations} operations", h.id);
                            runs += 1;
                            bails += usize::from(got.starts_with("Err"));
                        }
                    }
                }
            }
        }
        assert!(runs > 1_000 && bails > 100 && bails < runs, "{runs} runs, {bails} gave up");
    }

    /// What a [`NumFunc`] does not settle goes to the closure code: a variable not set or
    /// set to a fact that is not a number, an integer given to `yuan`.
    #[test]
    fn what_is_not_a_number_goes_to_the_closure_code() {
        use super::super::lower::Inst;
        let (params, facts) = first_household();
        let limits = Limits::default();
        let mut m = Machine::new(&facts, &params, &[], &limits);
        let yuan = |x: Node| Inst::Eval(Node::Builtin(Builtin::Yuan, vec![x]));
        let sum = bin(BinOp::Add, Node::Local(0), Node::Const(Val::Dec(Decimal::new(15, 1))));
        let unset = vec![yuan(sum.clone())];
        let text = vec![Inst::Let(0, field("housing_grade")), yuan(sum.clone())];
        let integer = vec![Inst::Let(0, Node::Const(Val::Int(2))), yuan(bin(BinOp::Add, Node::Local(0), Node::Const(Val::Int(1))))];
        let number = vec![Inst::Let(0, Node::Const(Val::Int(2))), yuan(sum.clone())];
        assert!(NumFunc::of(&[Inst::Let(0, Node::Const(Val::str("文"))), yuan(sum.clone())], 1).is_none(), "a string is no number");
        for body in [&unset, &text, &integer] {
            assert!(NumFunc::of(body, 1).unwrap().run(&mut m).is_none(), "{body:?}");
        }
        let before = m.budget();
        assert_eq!(format!("{:?}", NumFunc::of(&number, 1).unwrap().run(&mut m)), "Some(Ok(Dec(3.50)))");
        assert_eq!(before - m.budget(), 2);
        assert!(NumFunc::of(&number, 17).is_none(), "more variables than kept on the stack");
    }
}
