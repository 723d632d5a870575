using Platform.Ctl;

// platformctl: the platform's command-line tool (README "platformctl"). Commands live in PlatformCli.
return await PlatformCli.RunAsync(args, Console.Out, Console.Error);
