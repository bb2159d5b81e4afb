package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
	"github.com/weirdb/weir/vector"
)

// arrowType maps a SQL column type to Weir's column type; ok is false for
// types Weir does not support.
func arrowType(ft *types.FieldType) (arrow.DataType, bool) {
	switch ft.GetType() {
	case mysql.TypeTiny:
		if ft.GetFlen() == 1 { // BOOLEAN is TINYINT(1)
			return vector.Boolean, true
		}
		return vector.Int64, true
	case mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong, mysql.TypeYear:
		return vector.Int64, true
	case mysql.TypeFloat, mysql.TypeDouble, mysql.TypeNewDecimal:
		return vector.Float64, true
	case mysql.TypeVarchar, mysql.TypeVarString, mysql.TypeString, mysql.TypeBlob,
		mysql.TypeTinyBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob, mysql.TypeJSON, mysql.TypeEnum:
		return vector.String, true
	case mysql.TypeDatetime, mysql.TypeTimestamp, mysql.TypeDate:
		return vector.Timestamp, true
	}
	return nil, false
}

// castType maps the type of CAST(x AS type) to Weir's column type.
func castType(ft *types.FieldType) (arrow.DataType, bool) {
	switch ft.GetType() {
	case mysql.TypeLonglong:
		return vector.Int64, true
	}
	return arrowType(ft)
}

// sqlTypeName renders ft as the user would write it.
func sqlTypeName(ft *types.FieldType) string {
	return strings.ToUpper(ft.String())
}
