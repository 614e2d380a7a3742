# poll_frontier.gp - the poll-schedule frontier: requests per task against mean detection delay, one
# point per schedule (shape) and duration class (colour), from bench/poll_schedule's frontier file.
#   build-bench/bench/poll_schedule 4000 /tmp/frontier.dat
#   gnuplot -e "dat='/tmp/frontier.dat'; out='bench/poll_frontier.png'" bench/poll_frontier.gp
# (gnuplot from Debian: apt-get install gnuplot-nox.) Lower left is better.
if (!exists("dat")) dat = 'frontier.dat'
if (!exists("out")) out = 'poll_frontier.png'
set terminal pngcairo size 900,560 font ",10"
set output out
set title "Poll schedules: requests per task against mean detection delay (virtual clock)"
set xlabel "mean detection delay (s)"
set ylabel "requests per task"
set logscale xy
set xrange [0.2:40]
set yrange [1:300]
set grid
set key outside right top box spacing 1.2
classes = '"fast 0-3 s" "image 3-10 s" "mid 10-30 s" "video 30-120 s" "long 120-600 s"'
schedules = '"cli" "seed script" "1.0 default" "default" "learned, a model per class" "learned, models of +-15 %"'
colours = "#1b9e77 #d95f02 #7570b3 #e7298a #66a61e"
shapes = "7 5 9 11 13 3"
plot for [s=1:6] NaN with points pt int(word(shapes, s)) ps 1.5 lc rgb "black" title word(schedules, s), \
     for [k=1:5] NaN with points pt 5 ps 1.5 lc rgb word(colours, k) title word(classes, k), \
     for [k=1:5] dat using ($2 == k-1 ? $3 : NaN):4:(int(word(shapes, int($1)+1))) with points pt variable ps 1.6 lc rgb word(colours, k) notitle
