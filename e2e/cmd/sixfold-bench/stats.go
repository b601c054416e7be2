package main

import (
	"math"
	"slices"
	"time"
)

// stat summarises one figure over the measured runs.
type stat struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

// summarise is the median and range of vs; the zero stat for none.
func summarise(vs []float64) stat {
	if len(vs) == 0 {
		return stat{}
	}
	return stat{Median: median(vs), Min: slices.Min(vs), Max: slices.Max(vs), Runs: slices.Clone(vs)}
}

// median of vs (the mean of the middle two for an even count); NaN for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of ds:
// the smallest value with at least p% of the values at or below it, so a
// p99 of 100 samples is the 99th smallest and never an interpolation
// between two real latencies. Zero for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
