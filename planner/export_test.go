package planner

// SetSharing turns the rule share_identical_subplans on or off, so that
// tests can compare a plan that shares subplans with one that does not.
func SetSharing(on bool) { shareSubplans = on }
