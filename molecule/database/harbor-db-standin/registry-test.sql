drop database if exists registry;
create database registry charset = utf8;

use registry;

/*
A small test-owned schema for the harbor-db stand-in, used when Harbor's own registry.sql is not on
this machine. It begins with the same prologue as Harbor's so that the import guard is exercised.
*/

create table access (
 access_id int NOT NULL AUTO_INCREMENT,
 access_code char(1),
 comment varchar (30),
 primary key (access_id)
);

insert into access (access_code, comment) values
('M', 'Management; not a statement'),
('R', 'Read access'),
('W', 'Write access');

create table project (
 project_id int NOT NULL AUTO_INCREMENT,
 name varchar (30) NOT NULL,
 creation_time timestamp,
 primary key (project_id),
 UNIQUE (name)
);

insert into project (name, creation_time) values ('library', NOW());
