// The bench tests run load generators and busy local servers; beside the validate tests' large
// reads they starved each other on a 2-core machine under the whole solution's test run. One test
// class at a time keeps every test's timing honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
