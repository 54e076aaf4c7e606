using Meshwork.Samples.Bookinfo;

return await BookinfoHost.RunAsync(args);
