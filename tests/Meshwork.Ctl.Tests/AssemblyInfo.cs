// The bench tests run load generators and busy local servers; on a 2-core machine they would starve
// the other classes' tests if run beside them. One test class at a time keeps every test honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
