module sixfold/migrations

go 1.26.0
