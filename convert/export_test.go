package convert

// resample is tested from the package's outside, as a caller sees it.
var Resample = resample
