package main

import (
	"math"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %v; want %v", tc.in, got, tc.want)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v; want NaN", got)
	}
}

func TestMedianLeavesInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("median reordered its input: %v", in)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the min", hundred, 0.001, time.Millisecond},
		{"p99 of three is the max", []time.Duration{1, 3, 2}, 99, 3},
		{"p50 of two is the lower", []time.Duration{2, 1}, 50, 1},
		{"one sample", []time.Duration{5}, 99, 5},
		{"none", nil, 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("percentile(p%v) = %v; want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	s := summarise([]float64{210, 190, 200})
	if s.Median != 200 || s.Min != 190 || s.Max != 210 || len(s.Runs) != 3 || s.Runs[0] != 210 {
		t.Errorf("summarise = %+v; want median 200, 190–210, runs in order", s)
	}
	if z := summarise(nil); z.Median != 0 || z.Runs != nil {
		t.Errorf("summarise(nil) = %+v; want the zero stat", z)
	}
}
