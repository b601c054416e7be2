//go:build !linux

package main

import (
	"errors"
	"os"
)

var errLinuxOnly = errors.New("needs Linux (posix_fadvise, O_DIRECT, /proc)")

func dropFromCache(string) error          { return errLinuxOnly }
func openDirect(string) (*os.File, error) { return nil, errLinuxOnly }
func fdatasync(f *os.File) error          { return f.Sync() }

func syncFilesystem(string) error { return nil }
