//go:build !unix

package exec

// addressSpaceLimit is 0: the platform has no address-space limit to read.
func addressSpaceLimit() int64 { return 0 }
