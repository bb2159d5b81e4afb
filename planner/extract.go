package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/vector"
)

// extractUnits maps the units of EXTRACT(unit FROM ts) to the function
// that reads that field.
var extractUnits = map[string]string{
	"YEAR": "year", "MONTH": "month", "DAY": "dayofmonth",
	"HOUR": "hour", "MINUTE": "minute", "SECOND": "second",
}

// bindExtract binds EXTRACT(unit FROM ts), which TiDB parses as the call
// extract(unit, ts), as the field's function (HOUR(ts) and so on).
func (b *binder) bindExtract(e *ast.FuncCallExpr) (vector.Expr, error) {
	if len(e.Args) != 2 {
		return nil, b.errAt(e, "EXTRACT takes a unit and a timestamp: EXTRACT(HOUR FROM ts)")
	}
	u, ok := e.Args[0].(*ast.TimeUnitExpr)
	fn := ""
	if ok {
		fn = extractUnits[u.Unit.String()]
	}
	if fn == "" {
		return nil, b.errAt(e, "EXTRACT supports YEAR, MONTH, DAY, HOUR, MINUTE and SECOND")
	}
	x, err := b.bind(e.Args[1])
	if err != nil {
		return nil, err
	}
	res, err := vector.Func(fn, []vector.Expr{x})
	return res, b.wrap(e, err)
}
