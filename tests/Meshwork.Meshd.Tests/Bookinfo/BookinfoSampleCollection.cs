namespace Meshwork.Meshd.Tests.Bookinfo;

/// <summary>
/// The Bookinfo sample runs 18 processes (six meshctl runs, their sidecars and apps); on a 2-core
/// machine other classes' timing-bound waits would starve beside it, so its classes run alone.
/// </summary>
[CollectionDefinition("bookinfo-sample", DisableParallelization = true)]
public sealed class BookinfoSampleCollection;
