package vector

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Numeric functions. They keep BIGINT as BIGINT where the result is a
// whole number (ABS, ROUND, FLOOR, CEIL) and work in DOUBLE otherwise.

// numericArg checks that a call has one BIGINT or DOUBLE argument.
func numericArg(name string, args []Expr) error {
	if len(args) != 1 || !argIs(args[0], arrow.INT64, arrow.FLOAT64) {
		return sigErr(name, "1 argument of type BIGINT or DOUBLE", args)
	}
	return nil
}

// resultType is the type of a numeric function of e (NULL counts as BIGINT).
func resultType(e Expr) arrow.DataType {
	if e.Type().ID() == arrow.FLOAT64 {
		return Float64
	}
	return Int64
}

// buildAbs is ABS(x); ABS of the smallest BIGINT wraps to itself.
func buildAbs(name string, args []Expr) (Expr, error) {
	if err := numericArg(name, args); err != nil {
		return nil, err
	}
	typ := resultType(args[0])
	return newFunc(name, args, typ, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		buf := newBuffer(mem, 8*n)
		if typ.ID() == arrow.FLOAT64 {
			out, a := float64Slice(buf), float64Values(in)
			for i := range a {
				out[i] = math.Abs(a[i])
			}
		} else {
			out, a := int64Slice(buf), int64Values(in)
			for i := range a {
				v := a[i]
				m := v >> 63
				out[i] = (v ^ m) - m
			}
		}
		return finish(typ, n, combineValidity(mem, n, in), buf)
	}, 1), nil
}

// buildFloorCeil is FLOOR and CEIL/CEILING: BIGINT unchanged, DOUBLE to
// the whole DOUBLE below or above.
func buildFloorCeil(name string, args []Expr) (Expr, error) {
	if err := numericArg(name, args); err != nil {
		return nil, err
	}
	if args[0].Type().ID() == arrow.INT64 {
		return args[0], nil
	}
	f := math.Floor
	if name != "floor" {
		f = math.Ceil
	}
	return newFunc(name, args, resultType(args[0]), floatKernel(f, false), 1), nil
}

// floatKernel applies f to every value of a DOUBLE column; with domain,
// NaN or infinite results from finite inputs are NULL.
func floatKernel(f func(float64) float64, domain bool) kernel {
	return func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		buf := newBuffer(mem, 8*n)
		out, a := float64Slice(buf), float64Values(in)
		valid := combineValidity(mem, n, in)
		for i := range a {
			r := f(a[i])
			out[i] = r
			if domain && (math.IsNaN(r) || math.IsInf(r, 0)) && !math.IsInf(a[i], 0) && !math.IsNaN(a[i]) {
				valid = markNull(mem, valid, n, i)
			}
		}
		return finish(Float64, n, valid, buf)
	}
}

// buildFloatFunc is SQRT, EXP, LN and LOG10 over DOUBLE (BIGINT is
// converted); results outside the domain (SQRT(-1), LN(0)) are NULL.
func buildFloatFunc(name string, args []Expr) (Expr, error) {
	if err := numericArg(name, args); err != nil {
		return nil, err
	}
	var f func(float64) float64
	switch name {
	case "sqrt":
		f = math.Sqrt
	case "exp":
		f = math.Exp
	case "ln":
		f = math.Log
	default:
		f = math.Log10
	}
	arg, err := Cast(args[0], Float64)
	if err != nil {
		return nil, err
	}
	return alias(newFunc(name, []Expr{arg}, Float64, floatKernel(f, name != "exp"), 1), name, args), nil
}

// buildPower is POWER/POW(x, y) in DOUBLE; a NaN result is NULL.
func buildPower(name string, args []Expr) (Expr, error) {
	if len(args) != 2 || !argIs(args[0], arrow.INT64, arrow.FLOAT64) || !argIs(args[1], arrow.INT64, arrow.FLOAT64) {
		return nil, sigErr(name, "2 arguments of type BIGINT or DOUBLE", args)
	}
	cargs, err := castAll(args, Float64)
	if err != nil {
		return nil, err
	}
	e := newFunc(name, cargs, Float64, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		x, xs := floatOperand(ops[0])
		y, ys := floatOperand(ops[1])
		buf := newBuffer(mem, 8*n)
		out := float64Slice(buf)
		valid := combineValidity(mem, n, operandArrays(ops)...)
		for i := range out {
			a, b := xs, ys
			if x != nil {
				a = x[i]
			}
			if y != nil {
				b = y[i]
			}
			out[i] = math.Pow(a, b)
			if math.IsNaN(out[i]) && !math.IsNaN(a) && !math.IsNaN(b) {
				valid = markNull(mem, valid, n, i)
			}
		}
		return finish(Float64, n, valid, buf)
	}, 0)
	return alias(e, name, args), nil
}

// buildMod is MOD(a, b): a % b.
func buildMod(name string, args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, sigErr(name, "2 arguments of type BIGINT or DOUBLE", args)
	}
	e, err := Binary(Mod, args[0], args[1])
	if err != nil {
		return nil, sigErr(name, "2 arguments of type BIGINT or DOUBLE", args)
	}
	return alias(e, name, args), nil
}

// buildRound is ROUND(x[, d]): round half away from zero to d decimal
// places (default 0; negative d rounds to tens, hundreds, ...). BIGINT
// stays BIGINT, DOUBLE stays DOUBLE.
func buildRound(name string, args []Expr) (Expr, error) {
	if len(args) < 1 || len(args) > 2 || !argIs(args[0], arrow.INT64, arrow.FLOAT64) ||
		(len(args) == 2 && !argIs(args[1], arrow.INT64)) {
		return nil, sigErr(name, "arguments (BIGINT or DOUBLE[, BIGINT])", args)
	}
	typ := resultType(args[0])
	if len(args) == 1 && typ.ID() == arrow.INT64 {
		return args[0], nil
	}
	return newFunc(name, args, typ, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		d := i64Arg{}
		if len(ops) == 2 {
			d = newI64Arg(ops[1])
		}
		valid := combineValidity(mem, n, operandArrays(ops)...)
		buf := newBuffer(mem, 8*n)
		if typ.ID() == arrow.FLOAT64 {
			out, a := float64Slice(buf), float64Values(in)
			for i := range a {
				places, _ := d.at(i)
				out[i] = roundFloat(a[i], places)
			}
		} else {
			out, a := int64Slice(buf), int64Values(in)
			for i := range a {
				places, _ := d.at(i)
				out[i] = roundInt(a[i], places)
			}
		}
		return finish(typ, n, valid, buf)
	}, 1), nil
}

// roundFloat rounds x half away from zero to d decimal places.
func roundFloat(x float64, d int64) float64 {
	switch {
	case d == 0:
		return math.Round(x)
	case d > 15:
		return x
	case d < -308:
		return 0 * x
	case d > 0:
		p := math.Pow10(int(d))
		r := math.Round(x*p) / p
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return x
		}
		return r
	default:
		p := math.Pow10(int(-d))
		return math.Round(x/p) * p
	}
}

// roundInt rounds x half away from zero to d decimal places (only
// negative d changes anything).
func roundInt(x, d int64) int64 {
	if d >= 0 {
		return x
	}
	if d < -18 {
		return 0
	}
	p := int64(1)
	for ; d < 0; d++ {
		p *= 10
	}
	q, r := x/p, x%p
	if r >= 0 && 2*r >= p {
		q++
	} else if r < 0 && -2*r >= p {
		q--
	}
	return q * p
}
