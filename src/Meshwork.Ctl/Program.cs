using Meshwork.Ctl;
using Meshwork.Ctl.Commands;

BenchCommand.PrepareProcess(args);
return await CommandLine.RunAsync(args, Console.In, Console.Out, Console.Error);
