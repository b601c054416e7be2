package db

// AheadOf exposes aheadOf to the external tests.
var AheadOf = aheadOf
