package vector

import "github.com/apache/arrow-go/v18/arrow"

// Weir's column types. Every column of every batch has one of these.
var (
	// Int64 is BIGINT (and INT, SMALLINT, TINYINT).
	Int64 arrow.DataType = arrow.PrimitiveTypes.Int64
	// Float64 is DOUBLE (and FLOAT, DECIMAL).
	Float64 arrow.DataType = arrow.PrimitiveTypes.Float64
	// String is VARCHAR (and CHAR, TEXT).
	String arrow.DataType = arrow.BinaryTypes.String
	// Boolean is BOOLEAN.
	Boolean arrow.DataType = arrow.FixedWidthTypes.Boolean
	// Timestamp is TIMESTAMP(3): milliseconds since the Unix epoch, UTC.
	Timestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	// Null is the type of a bare NULL literal before it is cast.
	Null arrow.DataType = arrow.Null
)

// TypeName is the SQL name of a Weir column type.
func TypeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.STRING:
		return "VARCHAR"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "TIMESTAMP(3)"
	case arrow.NULL:
		return "NULL"
	}
	return t.String()
}
